import BotFlowCore
import BotFlowSecurity
import BotFlowStorage
import BotFlowWorkflow
import GRDB

/// The workflow executor's outside world for one bot: outbound HTTP through the SSRF guard (§5.8), the
/// organization-scoped query runner, local knowledge search (§7.5), the configured LLM and the bot's integrations.
struct WorkflowRuntimeServices: WorkflowServices {
    let database: AppDatabase
    let settings: Settings
    let client: GuardedHTTPClient
    let knowledge: any KnowledgeSearching
    let llm: (any LLMCompleting)?
    let credentials: CredentialCipher
    let botId: String
    let organizationId: String

    var integrationEndpoints: IntegrationEndpoints {
        IntegrationEndpoints(paystack: settings.workflowPaystackBaseURL, shopify: settings.workflowShopifyBaseURL)
    }

    func http(method: String, url: String, headers: [(String, String)], body: [UInt8]?) async throws -> HTTPResult {
        try await http(method: method, url: url, headers: headers, body: body, secretHeaders: [])
    }

    func http(method: String, url: String, headers: [(String, String)], body: [UInt8]?, secretHeaders: Set<String>) async throws -> HTTPResult {
        do {
            let reply = try await client.send(method: method, url: url, headers: headers, body: body, secretHeaders: secretHeaders)
            return HTTPResult(status: reply.status, body: reply.body)
        } catch let failure as GuardedHTTPClient.Failure {
            throw NodeFailure(failure.message)
        }
    }

    func query(_ sql: String, parameters: [JSON]) async throws -> [JSON] {
        try await ScopedQueryRunner(path: database.path).run(sql, parameters: parameters, organizationId: organizationId)
    }

    func searchKnowledge(query: String, limit: Int, threshold: Double) async throws -> [JSON] {
        let hits: [KnowledgeHit]
        do { hits = try await knowledge.search(botId: botId, query: query, limit: limit, threshold: threshold) } catch {
            throw NodeFailure("Knowledge search failed")
        }
        // behaviour §7.5 step 6: `{id, content, metadata, similarity}`.
        return hits.map { ["id": .string($0.id), "content": .string($0.content), "metadata": $0.metadata, "similarity": .double($0.similarity)] }
    }

    func chat(model: String, systemPrompt: String, userMessage: String, temperature: Double) async throws -> (text: String, tokens: Int) {
        guard let llm else { throw NodeFailure("LLM is not configured") }
        do {
            return try await llm.complete(model: settings.llmModel.isEmpty ? model : settings.llmModel,
                                          messages: [("system", systemPrompt), ("user", userMessage)], temperature: temperature)
        } catch {
            throw NodeFailure("LLM request failed")
        }
    }

    /// The bot's enabled (`active`) integration for the marketplace slug, or the mapped bot-integration id (which
    /// must belong to this bot); credentials decrypted with AAD `bot_integrations:<id>`.
    func integration(service: String, botIntegrationId: String?) async throws -> IntegrationAccess {
        typealias Found = (id: String, envelope: String?, configuration: String)
        let found = try await database.read { [botId] db -> Found? in
            let row: Row?
            if let botIntegrationId {
                row = try Row.fetchOne(db, sql: "SELECT * FROM bot_integrations WHERE id = ? AND bot_id = ? AND status = 'active'",
                                       arguments: [botIntegrationId, botId])
            } else {
                row = try Row.fetchOne(db, sql: """
                    SELECT bi.* FROM bot_integrations bi JOIN integration_marketplace m ON m.id = bi.integration_id
                    WHERE bi.bot_id = ? AND m.slug = ? AND bi.status = 'active'
                    """, arguments: [botId, service])
            }
            guard let row else { return nil }
            return (row["id"], row["credentials_encrypted"], row["configuration"] ?? "{}")
        }
        guard let found else { throw NodeFailure("No enabled \(service) integration for this bot") }
        let id = found.id
        var secrets: JSONObject = [:]
        if let envelope = found.envelope {
            do { secrets = try credentials.open(envelope, table: "bot_integrations", rowId: id) } catch {
                throw NodeFailure("Credentials unreadable")
            }
        }
        let configuration = (try? JSONParser.parse(found.configuration))?.objectValue ?? [:]
        return IntegrationAccess(id: id, credentials: secrets, configuration: configuration)
    }
}
