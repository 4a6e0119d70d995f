import BotFlowCore
import BotFlowKnowledge
import BotFlowSecurity
import BotFlowStorage
import BotFlowTestSupport
import Crypto
import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Testing

/// api.md §4.9 K1–K9, behaviour §7 and the knowledge stage of §6.5, through the real router, job runner and database.
@Suite struct KnowledgeTests {
    static let faq = """
        Cape Shuttle FAQ

        How do I change a booking? Reply CHANGE with your booking number and the new time.
        Can I bring a surfboard on the shuttle? Yes, surfboards travel free in the trailer, one per passenger.
        Do children pay full price? Children under two travel free; older children pay the adult fare.
        """

    // MARK: Upload → process → search → delete

    @Test func textDocumentIsUploadedProcessedSearchedAndDeleted() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            let start = try await client.call(.post, "/api/bots/\(bot)/knowledge",
                                              json: ["file_name": "faq.txt", "file_size": 10, "file_type": "text/plain", "title": "ignored"],
                                              token: owner.token)
            #expect(start.status == 200, "\(start.text)")
            let articleId = try #require(start.json["article_id"].stringValue)
            #expect(start.json["file_path"] == .string("knowledge/\(bot)/\(articleId)/faq.txt"))
            let url = try #require(start.json["upload_url"].stringValue)
            #expect(url.hasPrefix(f.app.settings.effectivePublicBaseURL + "/api/bots/\(bot)/knowledge/\(articleId)/upload?token="))
            #expect(Set(start.json.objectValue!.keys) == ["article_id", "upload_url", "file_path"])

            var list = try await client.call(.get, "/api/bots/\(bot)/knowledge", token: owner.token)
            #expect(list.json["articles"][0]["metadata"]["status"] == "pending")
            #expect(list.json["articles"][0]["title"] == "faq.txt")
            #expect(list.json["articles"][0]["category"] == "uploaded_document")
            #expect(list.json["articles"][0]["metadata"]["uploaded_by"] == .string(owner.userId))

            let bytes = Array(Self.faq.utf8)
            let put = try await client.call(.put, f.path(url), raw: bytes, contentType: "text/plain",
                                            headers: ["Authorization": "Bearer not-a-jwt-and-ignored"])
            #expect(put.status == 200, "\(put.text)")
            let sha = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(put.json == ["success": true, "article_id": .string(articleId), "file_path": start.json["file_path"],
                                 "size_bytes": .int(bytes.count), "sha256": .string(sha)])
            #expect(try await f.int("SELECT size_bytes FROM knowledge_files WHERE article_id = ?", [articleId]) == bytes.count)

            let process = try await client.call(.post, "/api/bots/\(bot)/knowledge/\(articleId)/process", token: owner.token)
            #expect(process.status == 200)
            #expect(process.json == ["status": "processing"])
            try await f.settle()

            list = try await client.call(.get, "/api/bots/\(bot)/knowledge", token: owner.token)
            let article = list.json["articles"][0]
            let metadata = article["metadata"]
            #expect(metadata["status"] == "indexed")
            #expect(metadata["total_chunks"] == 1)
            #expect(article["chunk_count"] == 1)
            #expect(metadata["file_size"] == .int(bytes.count), "file_size is the received byte count")
            for key in ["file_name", "file_type", "uploaded_by", "upload_date", "uploaded_at", "processing_started", "processed_at"] {
                #expect(metadata[key] != .null, "metadata keeps \(key)")
            }
            // One chunk: the whole-chunk vector and one per sentence passage.
            #expect(try await f.int("SELECT count(*) FROM knowledge_vectors") == 8)
            #expect(try await f.int("SELECT count(*) FROM knowledge_vectors WHERE embedding_model = 'local:botflow-local-v1' AND dim = 512") == 8)

            let search = try await client.call(.post, "/api/bots/\(bot)/knowledge/search", json: ["query": "Can I change my booking?"],
                                               token: owner.token)
            #expect(search.status == 200, "\(search.text)")
            #expect(search.json["query"] == "Can I change my booking?")
            #expect(search.json["count"] == 1)
            let hit = search.json["results"][0]
            #expect(abs((hit["similarity"].numberValue ?? 0) - 1) < 1e-6)
            #expect(hit["metadata"] == ["chunk_index": 0, "file_name": "faq.txt", "char_start": 0,
                                        "char_end": .int(Self.faq.unicodeScalars.count), "source_id": .string(articleId)])
            #expect(hit["content"] == .string(Self.faq.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(Identifiers.isUUID(hit["id"].stringValue ?? ""))

            let stats = try await client.call(.get, "/api/bots/\(bot)/knowledge/stats", token: owner.token)
            #expect(stats.json == ["total_articles": 1, "total_chunks": 1, "total_size_bytes": .int(bytes.count), "avg_chunks_per_article": 1,
                                   "indexed_articles": 1, "processing_articles": 0, "failed_articles": 0, "pending_articles": 0])

            let deleted = try await client.call(.delete, "/api/bots/\(bot)/knowledge/\(articleId)", token: owner.token)
            #expect(deleted.json == ["success": true])
            for table in ["knowledge_base_articles", "knowledge_files", "knowledge_embeddings", "knowledge_vectors"] {
                #expect(try await f.int("SELECT count(*) FROM \(table)") == 0, "\(table) emptied")
            }
            #expect(try await f.int("SELECT count(*) FROM knowledge_fts WHERE knowledge_fts MATCH 'surfboard'") == 0)
            let again = try await client.call(.delete, "/api/bots/\(bot)/knowledge/\(articleId)", token: owner.token)
            #expect(again.status == 404)
            #expect(again.json == ["error": "Article not found"])
            let after = try await client.call(.post, "/api/bots/\(bot)/knowledge/search", json: ["query": "Can I change my booking?"], token: owner.token)
            #expect(after.json["count"] == 0, "the matrix cache was invalidated")
            let empty = try await client.call(.get, "/api/bots/\(bot)/knowledge/stats", token: owner.token)
            #expect(empty.json["avg_chunks_per_article"] == 0)
            #expect(empty.json["total_size_bytes"] == 0)
        }
    }

    // MARK: K2 validation

    @Test func startUploadValidatesItsFields() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            func start(_ body: JSON) async throws -> TestResult {
                try await client.call(.post, "/api/bots/\(bot)/knowledge", json: body, token: owner.token)
            }
            let wrongType = try await start(["file_name": "a.exe", "file_size": 10, "file_type": "application/x-msdownload"])
            #expect(wrongType.status == 400)
            #expect(wrongType.json["error"] == "Validation error")
            #expect(wrongType.json["details"][0]["path"] == ["file_type"])
            #expect(wrongType.json["details"][0]["code"] == "invalid_enum_value")
            for name in ["../etc/passwd", "a\\b.txt", "nul\u{0}.txt", "dir/faq.pdf"] {
                let r = try await start(["file_name": .string(name), "file_size": 10, "file_type": "text/plain"])
                #expect(r.status == 400, "\(name)")
                #expect(r.json["details"][0]["path"] == ["file_name"])
            }
            let missing = try await start([:])
            #expect(missing.json["details"].arrayValue?.map { $0["path"] } == [["file_name"], ["file_size"], ["file_type"]])
            for size: JSON in [0, 10_485_761, 1.5, "10"] {
                let r = try await start(["file_name": "a.txt", "file_size": size, "file_type": "text/plain"])
                #expect(r.status == 400, "\(size)")
            }
            let longName = try await start(["file_name": .string(String(repeating: "é", count: 256)), "file_size": 1, "file_type": "text/plain"])
            #expect(longName.status == 400)
            for type in KnowledgeFileType.all {
                let ok = try await start(["file_name": .string(String(repeating: "é", count: 255)), "file_size": 10_485_760, "file_type": .string(type)])
                #expect(ok.status == 200, "\(type)")
            }
        }
    }

    // MARK: K3 tokens and limits

    @Test func uploadTokenForgedExpiredOrForAnotherArticleIsRefused() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            let a = try await client.startUpload(owner, bot: bot, name: "a.txt")
            let b = try await client.startUpload(owner, bot: bot, name: "b.txt")
            let body = Array("Some content for the upload.".utf8)
            let forbidden: JSON = ["error": "Invalid or expired upload token"]

            let tokenA = String(a.url.split(separator: "=", maxSplits: 1)[1])
            let tokenB = String(b.url.split(separator: "=", maxSplits: 1)[1])
            let path = "/api/bots/\(bot)/knowledge/\(a.id)/upload"
            let otherArticle = try await client.call(.put, path + "?token=" + tokenB, raw: body)
            #expect(otherArticle.status == 403)
            #expect(otherArticle.json == forbidden)
            var forged = Array(tokenA)
            forged[forged.count - 3] = forged[forged.count - 3] == "A" ? "B" : "A"
            #expect(try await client.call(.put, path + "?token=" + String(forged), raw: body).status == 403)
            // A payload rewritten for article A but signed for B: the MAC no longer matches.
            let spliced = tokenA.split(separator: ".")[0] + "." + tokenB.split(separator: ".")[1]
            #expect(try await client.call(.put, path + "?token=" + spliced, raw: body).status == 403)
            // A well-formed token signed with another server secret.
            let foreign = UploadTokens(serverSecret: String(repeating: "x", count: 40)).issue(articleId: a.id, botId: bot, expiresAt: Int64.max / 2)
            #expect(try await client.call(.put, path + "?token=" + foreign, raw: body).status == 403)
            #expect(try await client.call(.put, path, raw: body).status == 403, "no token")
            #expect(try await client.call(.put, "/api/bots/other-bot/knowledge/\(a.id)/upload?token=" + tokenA, raw: body).status == 403,
                    "another bot in the path")

            #expect(try await client.call(.put, path + "?token=" + tokenA, raw: body).status == 200)
            f.clock.advance(seconds: 3600)
            let expired = try await client.call(.put, path + "?token=" + tokenA, raw: body)
            #expect(expired.status == 403)
            #expect(expired.json == forbidden)
        }
    }

    @Test func uploadLimitsAndEmptyBodies() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            let a = try await client.startUpload(owner, bot: bot, name: "big.txt")
            let tooBig = try await client.call(.put, f.path(a.url), raw: [UInt8](repeating: 0x61, count: 10_485_761))
            #expect(tooBig.status == 413)
            #expect(tooBig.json == ["error": "Payload Too Large", "message": "Request body exceeds 10485760 bytes"])
            let max = try await client.call(.put, f.path(a.url), raw: [UInt8](repeating: 0x61, count: 10_485_760))
            #expect(max.status == 200)
            let empty = try await client.call(.put, f.path(a.url), raw: [])
            #expect(empty.status == 400)
            #expect(empty.json == ["error": "Empty upload"])
            // A valid token for an article that no longer exists.
            _ = try await client.call(.delete, "/api/bots/\(bot)/knowledge/\(a.id)", token: owner.token)
            let gone = try await client.call(.put, f.path(a.url), raw: [1, 2, 3])
            #expect(gone.status == 404)
            #expect(gone.json == ["error": "Article not found"])
        }
    }

    // MARK: Lifecycle rules (409s), failures and reprocessing

    @Test func reuploadAndReprocessRules() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            let a = try await client.startUpload(owner, bot: bot, name: "faq.pdf", type: "application/pdf")
            let processPath = "/api/bots/\(bot)/knowledge/\(a.id)/process"

            let notUploaded = try await client.call(.post, processPath, token: owner.token)
            #expect(notUploaded.status == 409)
            #expect(notUploaded.json == ["error": "File not uploaded"])

            // A file that is not a PDF: processing fails with the spec's message; metadata is kept.
            #expect(try await client.call(.put, f.path(a.url), raw: Array("garbage".utf8)).status == 200)
            #expect(try await client.call(.put, f.path(a.url), raw: Array("garbage again".utf8)).status == 200, "re-upload while pending")
            #expect(try await client.call(.post, processPath, token: owner.token).status == 200)
            try await f.settle()
            var meta = try await client.articleMetadata(owner, bot: bot, id: a.id)
            #expect(meta["status"] == "failed")
            #expect(meta["error_message"] == "Unsupported or corrupt PDF")
            #expect(meta["file_name"] == "faq.pdf")
            #expect(meta["file_type"] == "application/pdf")
            #expect(meta["file_size"] == 13)

            // Re-upload is allowed after a failure; a real PDF then indexes and error_message goes.
            let pdf = DocumentFixtures.pdf(pages: [Self.faq])
            #expect(try await client.call(.put, f.path(a.url), raw: pdf, contentType: "application/pdf").status == 200)
            #expect(try await client.call(.post, processPath, token: owner.token).status == 200)
            try await f.settle()
            meta = try await client.articleMetadata(owner, bot: bot, id: a.id)
            #expect(meta["status"] == "indexed")
            #expect(meta["error_message"] == .null)
            #expect(meta["total_chunks"] == 1)

            let indexed = try await client.call(.put, f.path(a.url), raw: pdf)
            #expect(indexed.status == 409)
            #expect(indexed.json == ["error": "Article already indexed"])

            // Re-processing an indexed article replaces its chunks.
            let before = try await f.strings("SELECT id FROM knowledge_embeddings", [])
            #expect(try await client.call(.post, processPath, token: owner.token).status == 200)
            try await f.settle()
            let after = try await f.strings("SELECT id FROM knowledge_embeddings", [])
            #expect(after.count == before.count && Set(after).isDisjoint(with: before))

            // While processing: uploads and another process request conflict.
            try await f.execute("UPDATE knowledge_base_articles SET metadata = json_set(metadata, '$.status', 'processing') WHERE id = ?", [a.id])
            let busy = try await client.call(.put, f.path(a.url), raw: pdf)
            #expect(busy.status == 409)
            #expect(busy.json == ["error": "Article is being processed"])
            let twice = try await client.call(.post, processPath, token: owner.token)
            #expect(twice.status == 409)
            #expect(twice.json == ["error": "Article is already being processed"])
        }
    }

    @Test func pdfAndDocxFixturesAreIndexedAndBadOnesFailWithTheirMessages() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            let cases: [(String, String, [UInt8], String?)] = [
                ("faq.pdf", "application/pdf", DocumentFixtures.pdf(pages: ["Shuttle timetable\nThe first shuttle leaves at 06:00.",
                                                                            "Refunds\nCancel a day ahead for a full refund."]), nil),
                ("cmap.pdf", "application/pdf", DocumentFixtures.pdf(pages: ["Wi-Fi is free on every shuttle: the network password is CAPE2026."], text: .toUnicode), nil),
                ("faq.docx", KnowledgeFileType.docx, DocumentFixtures.docx(paragraphs: ["Pets", "Small pets travel in a carrier at no charge & no fuss."]), nil),
                ("notes.md", "text/markdown", Array("# Notes\n\n- Drivers wait **15 minutes** at the pickup point.".utf8), nil),
                ("locked.pdf", "application/pdf", DocumentFixtures.pdf(pages: ["secret"], encrypted: true), "Encrypted PDFs are not supported"),
                ("scan.pdf", "application/pdf", DocumentFixtures.imageOnlyPDF(), "PDF contains no text content"),
                ("broken.docx", KnowledgeFileType.docx, Array("PK\u{3}\u{4} broken".utf8), "Invalid DOCX file"),
                ("blank.txt", "text/plain", Array("   \n\n  ".utf8), "Document contains no text content"),
            ]
            var ids: [String: String] = [:]
            for (name, type, bytes, _) in cases {
                let a = try await client.startUpload(owner, bot: bot, name: name, type: type, size: bytes.count)
                #expect(try await client.call(.put, f.path(a.url), raw: bytes).status == 200)
                #expect(try await client.call(.post, "/api/bots/\(bot)/knowledge/\(a.id)/process", token: owner.token).status == 200)
                ids[name] = a.id
            }
            try await f.settle()
            for (name, _, _, failure) in cases {
                let meta = try await client.articleMetadata(owner, bot: bot, id: ids[name]!)
                if let failure {
                    #expect(meta["status"] == "failed", "\(name)")
                    #expect(meta["error_message"] == .string(failure), "\(name)")
                } else {
                    #expect(meta["status"] == "indexed", "\(name): \(meta)")
                }
            }
            func top(_ q: String) async throws -> JSON {
                try await client.call(.post, "/api/bots/\(bot)/knowledge/search", json: ["query": .string(q), "threshold": 0.3], token: owner.token)
                    .json["results"][0]
            }
            #expect(try await top("when does the first shuttle leave")["metadata"]["file_name"] == "faq.pdf")
            #expect(try await top("full refund")["content"] == "Shuttle timetable\nThe first shuttle leaves at 06:00.\n\nRefunds\nCancel a day ahead for a full refund.")
            let wifi = try await top("wi-fi password")
            #expect(wifi["content"] == "Wi-Fi is free on every shuttle: the network password is CAPE2026.", "\(wifi)")
            #expect(try await top("can my pets travel")["content"] == "Pets\nSmall pets travel in a carrier at no charge & no fuss.")
            #expect(try await top("how long do drivers wait at pickup")["metadata"]["file_name"] == "notes.md")
            let stats = try await client.call(.get, "/api/bots/\(bot)/knowledge/stats", token: owner.token)
            #expect(stats.json["failed_articles"] == 4)
            #expect(stats.json["indexed_articles"] == 4)
        }
    }

    // MARK: Tenancy

    @Test func knowledgeRoutesOfAnotherOrganizationsBotAnswer403() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            let a = try await client.startUpload(owner, bot: bot, name: "a.txt")
            let other = try await client.signup(organization: "Other Org")
            let unauthorized: JSON = ["error": "Unauthorized"]
            let calls: [(HTTPRequest.Method, String, JSON?)] = [
                (.get, "/api/bots/\(bot)/knowledge", nil),
                (.post, "/api/bots/\(bot)/knowledge", ["file_name": "x.txt", "file_size": 1, "file_type": "text/plain"]),
                (.post, "/api/bots/\(bot)/knowledge", ["file_name": "../bad"]), // the bot check runs before validation
                (.post, "/api/bots/\(bot)/knowledge/\(a.id)/process", nil),
                (.get, "/api/bots/\(bot)/knowledge/stats", nil),
                (.post, "/api/bots/\(bot)/knowledge/search", ["query": "x"]),
                (.post, "/api/bots/\(bot)/knowledge/search", [:]),
                (.delete, "/api/bots/\(bot)/knowledge/\(a.id)", nil),
                (.post, "/api/bots/\(bot)/knowledge/legacy", ["sourceType": "text", "content": "x"]),
            ]
            for (method, path, body) in calls {
                let r = try await client.call(method, path, json: body, token: other.token)
                #expect(r.status == 403, "\(method) \(path)")
                #expect(r.json == unauthorized, "\(method) \(path)")
                let missingBot = try await client.call(method, path.replacingOccurrences(of: bot, with: "no-such-bot"), json: body, token: owner.token)
                #expect(missingBot.status == 403, "\(method) \(path) unknown bot")
                #expect(try await client.call(method, path, json: body).status == 401)
            }
            #expect(try await f.int("SELECT count(*) FROM knowledge_base_articles") == 1, "nothing was created or deleted")
            // An article of another bot of the same organization is not found.
            let second = try await client.knowledgeBot(owner, name: "Second")
            let r = try await client.call(.post, "/api/bots/\(second)/knowledge/\(a.id)/process", token: owner.token)
            #expect(r.status == 404)
            #expect(r.json == ["error": "Article not found"])
            #expect(try await client.call(.delete, "/api/bots/\(second)/knowledge/\(a.id)", token: owner.token).status == 404)
        }
    }

    // MARK: K5, K7 validation, K9

    @Test func completeCallbackNeedsTheSecretAndASignature() async throws {
        let secret = String(repeating: "k", count: 40)
        for configured in [false, true] {
            let f = try await KFixture.make { if configured { $0.knowledgeWebhookSecret = secret } }
            try await f.app.test { client in
                let owner = try await client.signup()
                let bot = try await client.knowledgeBot(owner)
                let a = try await client.startUpload(owner, bot: bot, name: "a.pdf", type: "application/pdf")
                let body = Array(#"{"status":"success","chunks_created":7}"#.utf8)
                let signature = WebhookSignatures.hmacSHA256Hex(secret: secret, body: body)
                let path = "/api/bots/\(bot)/knowledge/\(a.id)/complete"
                let good = try await client.call(.post, path, raw: body, contentType: "application/json", headers: ["x-webhook-signature": signature])
                guard configured else {
                    #expect(good.status == 503)
                    #expect(good.json == ["error": "Webhook secret not configured"])
                    return
                }
                #expect(good.status == 200, "\(good.text)")
                #expect(good.json == ["success": true])
                let meta = try await client.articleMetadata(owner, bot: bot, id: a.id)
                #expect(meta["status"] == "indexed")
                #expect(meta["chunks_created"] == 7)
                #expect(meta["processing_completed"] != .null)
                #expect(meta["file_name"] == "a.pdf")
                let bad = try await client.call(.post, path, raw: body, contentType: "application/json", headers: ["x-webhook-signature": String(repeating: "0", count: 64)])
                #expect(bad.status == 403)
                #expect(bad.json == ["error": "Invalid signature"])
                #expect(try await client.call(.post, path, raw: body, contentType: "application/json").status == 403)
                let failed = Array(#"{"status":"failed","error_message":"OCR failed"}"#.utf8)
                let r = try await client.call(.post, path, raw: failed, contentType: "application/json",
                                              headers: ["x-webhook-signature": WebhookSignatures.hmacSHA256Hex(secret: secret, body: failed)])
                #expect(r.status == 200)
                #expect(try await client.articleMetadata(owner, bot: bot, id: a.id)["error_message"] == "OCR failed")
                let unknown = try await client.call(.post, "/api/bots/\(bot)/knowledge/\(UUID().uuidString.lowercased())/complete", raw: body,
                                                    contentType: "application/json", headers: ["x-webhook-signature": signature])
                #expect(unknown.status == 404)
                #expect(unknown.json == ["error": "Article not found"])
            }
        }
    }

    @Test func searchValidationAndHybrid() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            try await client.indexText(f, owner, bot: bot, text: Self.faq)
            func search(_ body: JSON) async throws -> TestResult {
                try await client.call(.post, "/api/bots/\(bot)/knowledge/search", json: body, token: owner.token)
            }
            for body: JSON in [[:], ["query": "   "], ["query": ""], ["query": 5]] {
                let r = try await search(body)
                #expect(r.status == 400)
                #expect(r.json == ["error": "Query string is required"])
            }
            for body: JSON in [["query": "x", "limit": 0], ["query": "x", "limit": 101], ["query": "x", "limit": 2.5], ["query": "x", "threshold": 1],
                               ["query": "x", "threshold": -1.01], ["query": "x", "hybrid": "yes"],
                               ["query": .string(String(repeating: "q", count: 2001))]] {
                let r = try await search(body)
                #expect(r.status == 400, "\(body)")
                #expect(r.json["error"] == "Validation error", "\(body)")
            }
            #expect(try await search(["query": "x", "threshold": -1, "limit": 100]).status == 200)
            let hybrid = try await search(["query": "surfboard trailer", "hybrid": true, "threshold": 0])
            #expect(hybrid.status == 200)
            let first = hybrid.json["results"][0]
            #expect(first["keyword_rank"] == 1)
            #expect(abs((first["combined_score"].numberValue ?? 0) - (0.7 * first["similarity"].numberValue! + 0.3)) < 1e-9)
            let plain = try await search(["query": "surfboard trailer"])
            #expect(plain.json["results"][0]["keyword_rank"] == .null)
        }
    }

    @Test func legacySourceIsStoredPending() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let bot = try await client.knowledgeBot(owner)
            let r = try await client.call(.post, "/api/bots/\(bot)/knowledge/legacy",
                                          json: ["sourceType": "text", "content": "Opening hours 8–5", "metadata": ["origin": "import"]], token: owner.token)
            #expect(r.status == 200, "\(r.text)")
            let s = r.json["source"]
            #expect(s["bot_id"] == .string(bot))
            #expect(s["source_type"] == "text")
            #expect(s["status"] == "pending")
            #expect(s["metadata"] == ["origin": "import"])
            #expect(Set(s.objectValue!.keys) == ["id", "bot_id", "source_type", "content", "status", "metadata", "created_at", "updated_at"])
            let bad = try await client.call(.post, "/api/bots/\(bot)/knowledge/legacy", json: ["sourceType": "fax", "content": ""], token: owner.token)
            #expect(bad.status == 400)
            #expect(bad.json["details"].arrayValue?.count == 2)
        }
    }

    // MARK: The reply pipeline's knowledge stage over the sandbox channel

    @Test func botAnswersACustomerFromAnUploadedDocument() async throws {
        let f = try await KFixture.make()
        try await f.app.test { client in
            let owner = try await client.signup()
            let account = try await client.connectSandbox(owner)
            let bot = try await client.knowledgeBot(owner, account: account)
            let a = try await client.startUpload(owner, bot: bot, name: "faq.docx", type: KnowledgeFileType.docx)
            let docx = DocumentFixtures.docx(paragraphs: Self.faq.components(separatedBy: "\n"))
            #expect(try await client.call(.put, f.path(a.url), raw: docx).status == 200)
            #expect(try await client.call(.post, "/api/bots/\(bot)/knowledge/\(a.id)/process", token: owner.token).status == 200)
            try await f.settle()

            func ask(_ text: String) async throws -> JSON {
                let r = try await client.call(.post, "/webhooks/sandbox/whatsapp", json: ["to": "+27820000001", "from": "+27831110001", "text": .string(text)],
                                              token: owner.token)
                #expect(r.status == 200, "\(r.text)")
                try await f.settle()
                let messages = try await client.call(.get, "/api/conversations/\(r.json["conversation_id"].stringValue!)/messages?limit=100", token: owner.token)
                return try #require(messages.json["messages"].arrayValue?.last)
            }
            _ = try await ask("hi there")
            let reply = try await ask("Can I bring my surfboard on the shuttle?")
            let chunk = try await f.strings("SELECT content FROM knowledge_embeddings", [])
            #expect(reply["content"] == .string(chunk[0] + "\n\n_💡 Based on uploaded documentation_"))
            #expect(reply["content"].stringValue?.contains("surfboards travel free in the trailer") == true)
            #expect(reply["sent_by"] == "bot")
            #expect(reply["metadata"]["reply_source"] == "knowledge")
            #expect(reply["metadata"]["knowledge_searched"] == true)
            #expect(reply["metadata"]["knowledge_used"] == true)
            #expect(reply["metadata"]["knowledge_results_count"] == 1)

            // A question the document does not answer (similarity ≤ 0.75) falls through to the fallback.
            let miss = try await ask("Do you sell gift vouchers?")
            #expect(miss["metadata"]["reply_source"] == "fallback")
            #expect(miss["metadata"]["knowledge_searched"] == true)
            #expect(miss["metadata"]["knowledge_used"] == false)
        }
    }
}

/// The appliance with a manual clock, plus database helpers.
private struct KFixture: Sendable {
    let clock: ManualClock
    let app: TestAppliance

    static func make(configure: @escaping (inout Settings) -> Void = { _ in }) async throws -> KFixture {
        let clock = ManualClock()
        let app = try await TestAppliance.make(clock: clock) { configure(&$0) }
        return KFixture(clock: clock, app: app)
    }

    /// The path and query of an upload URL (the router client takes paths).
    func path(_ url: String) -> String { String(url.dropFirst(app.settings.effectivePublicBaseURL.count)) }

    /// Waits until no job is running or due, then checks that none failed.
    func settle(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now.advanced(by: .seconds(90))
        while true {
            let now = clock.now()
            let busy = try await app.database.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM jobs WHERE state = 'running' OR (state IN ('queued','retrying') AND run_at <= ?)",
                                 arguments: [now])!
            }
            if busy == 0 { break }
            guard ContinuousClock.now < deadline else { throw TestSetupError("jobs did not settle") }
            try await Task.sleep(for: .milliseconds(5))
        }
        let problems = try await strings("SELECT type || ' ' || state || ': ' || coalesce(last_error, '') FROM jobs WHERE state IN ('dead','retrying')", [])
        #expect(problems.isEmpty, "failed jobs: \(problems)", sourceLocation: sourceLocation)
    }

    func int(_ sql: String, _ arguments: [String] = []) async throws -> Int {
        try await app.database.read { db in try Int.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) ?? 0 }
    }

    func strings(_ sql: String, _ arguments: [String]) async throws -> [String] {
        try await app.database.read { db in try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) }
    }

    func execute(_ sql: String, _ arguments: [String]) async throws {
        try await app.database.write { db in try db.execute(sql: sql, arguments: StatementArguments(arguments)) }
    }
}

extension TestClientProtocol {
    /// B2: an FAQ bot (its starter workflow only triggers on `help`/`menu`).
    fileprivate func knowledgeBot(_ owner: Account, name: String = "Shuttle FAQ", account: String? = nil) async throws -> String {
        var body: JSONObject = ["templateId": "faq", "config": ["name": .string(name), "welcomeMessage": "Welcome to Cape Shuttle!"]]
        if let account { body["whatsapp_account_id"] = .string(account) }
        let r = try await call(.post, "/api/bots", json: .object(body), token: owner.token)
        guard r.status == 200, let id = r.json["id"].stringValue else { throw TestSetupError("bot create failed: \(r.status) \(r.text)") }
        return id
    }

    fileprivate func startUpload(_ owner: Account, bot: String, name: String, type: String = "text/plain", size: Int = 100) async throws
        -> (id: String, url: String)
    {
        let r = try await call(.post, "/api/bots/\(bot)/knowledge", json: ["file_name": .string(name), "file_size": .int(max(1, size)),
                                                                          "file_type": .string(type)], token: owner.token)
        guard r.status == 200, let id = r.json["article_id"].stringValue, let url = r.json["upload_url"].stringValue else {
            throw TestSetupError("K2 failed: \(r.status) \(r.text)")
        }
        return (id, url)
    }

    fileprivate func articleMetadata(_ owner: Account, bot: String, id: String) async throws -> JSON {
        let r = try await call(.get, "/api/bots/\(bot)/knowledge", token: owner.token)
        guard let article = r.json["articles"].arrayValue?.first(where: { $0["id"] == .string(id) }) else { throw TestSetupError("no article \(id)") }
        return article["metadata"]
    }

    fileprivate func indexText(_ f: KFixture, _ owner: Account, bot: String, text: String) async throws {
        let a = try await startUpload(owner, bot: bot, name: "faq.txt")
        _ = try await call(.put, f.path(a.url), raw: Array(text.utf8))
        _ = try await call(.post, "/api/bots/\(bot)/knowledge/\(a.id)/process", token: owner.token)
        try await f.settle()
    }
}
