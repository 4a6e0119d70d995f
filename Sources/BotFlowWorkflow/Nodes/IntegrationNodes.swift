import BotFlowCore
import Foundation

/// `shopify_lookup` and `paystack_payment` (behaviour §8.3 #9–10): calls with the bot's integration credentials,
/// each logged as an `api_call` (request/response summaries without any secret).
enum IntegrationNodes {
    /// The largest `amount` accepted (10^12 cents); larger values are a node error.
    static let maxAmount = 1_000_000_000_000.0
    static let shopifyFields = ["title", "price", "inventory", "description", "images", "variants"]

    static func shopify(_ config: JSON, access: IntegrationAccess, services: any WorkflowServices) async throws -> RemoteNodes.Result {
        let productId = try LocalNodes.text(config, "product_id", label: "Product ID").trimmingWhitespace()
        guard !productId.isEmpty, productId.count <= 64, productId.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw NodeFailure("Product ID has an invalid format")
        }
        var fields = config["fields"]
        if case .string(let s) = fields { fields = (try? JSONParser.parse(s)) ?? .strings(s.split(separator: ",").map { String($0).trimmingWhitespace() }) }
        let wanted = fields.isNull ? shopifyFields : (fields.arrayValue ?? []).compactMap(\.stringValue)
        if let bad = wanted.first(where: { !shopifyFields.contains($0) }) { throw NodeFailure("Fields contains invalid values: \(bad)") }
        guard let store = access.credentials["store_url"]?.stringValue?.trimmingWhitespace(), !store.isEmpty,
            let token = (access.credentials["api_key"] ?? access.credentials["access_token"])?.stringValue, !token.isEmpty
        else { throw NodeFailure("Shopify integration is missing store_url or api_key") }
        let base = try services.integrationEndpoints.shopify ?? storeBase(store)
        let url = "\(base)/admin/api/2024-01/products/\(productId).json"
        let request: JSON = ["method": "GET", "url": .string(url), "product_id": .string(productId)]

        let started = monotonicSeconds()
        let reply: HTTPResult
        do {
            reply = try await services.http(method: "GET", url: url, headers: [("X-Shopify-Access-Token", token), ("Accept", "application/json")],
                                            body: nil, secretHeaders: ["X-Shopify-Access-Token"])
        } catch {
            let message = "Shopify request failed: \((error as? NodeFailure)?.message ?? "\(error)")"
            return failure(access, message, request: request, started: started)
        }
        guard (200..<300).contains(reply.status), let product = reply.value["product"].objectValue else {
            return failure(access, "Shopify returned status \(reply.status)", request: request, started: started, status: reply.status)
        }
        let variants = product["variants"]?.arrayValue ?? []
        // Saturating: the quantities come from a remote answer and may be absurd.
        let inventory = variants.reduce(Int64(0)) { total, variant in
            let (sum, overflow) = total.addingReportingOverflow(variant["inventory_quantity"].integerValue ?? 0)
            return overflow ? (total < 0 ? Int64.min : Int64.max) : sum
        }
        let inStock = variants.contains { ($0["inventory_quantity"].integerValue ?? 0) > 0 }
        var out: JSONObject = ["id": product["id"] ?? .string(productId)]
        for field in wanted {
            switch field {
            case "title": out["title"] = product["title"] ?? .null
            case "price": out["price"] = variants.first?["price"] ?? .null
            case "inventory": out["inventory"] = .int(inventory)
            case "description": out["description"] = product["body_html"] ?? .null
            case "images": out["images"] = product["images"] ?? []
            default: out["variants"] = .array(variants)
            }
        }
        let call = IntegrationCall(botIntegrationId: access.id, success: true, message: "shopify_lookup \(productId)", requestData: request,
                                   responseData: ["status": .int(reply.status), "in_stock": .bool(inStock)], errorDetails: .null,
                                   durationMs: elapsedMs(started))
        return RemoteNodes.Result(outputs: ["product": .object(out), "in_stock": .bool(inStock)], call: call)
    }

    static func paystack(_ config: JSON, access: IntegrationAccess, services: any WorkflowServices) async throws -> RemoteNodes.Result {
        guard let number = LocalNodes.numeric(config["amount"]), number.isFinite, number.rounded() == number, number >= 100 else {
            throw NodeFailure("Amount must be a whole number of at least 100 (cents)")
        }
        // Range-checked before converting: a huge rendered number is a node error, never a trap.
        guard number <= maxAmount, let amount = Int64(exactly: number) else {
            throw NodeFailure("Amount must be at most \(Int64(maxAmount)) (cents)")
        }
        let email = try LocalNodes.text(config, "email", label: "Email").trimmingWhitespace()
        guard email.contains("@"), !email.contains(where: \.isWhitespace) else { throw NodeFailure("Email has an invalid format") }
        guard let secret = access.credentials["secret_key"]?.stringValue, !secret.isEmpty else {
            throw NodeFailure("Paystack integration is missing secret_key")
        }
        var body: JSONObject = ["amount": .int(amount), "email": .string(email)]
        let reference = WorkflowPlaceholders.format(config["reference"])
        if !reference.isEmpty { body["reference"] = .string(reference) }
        let callback = WorkflowPlaceholders.format(config["callback_url"])
        if !callback.isEmpty { body["callback_url"] = .string(callback) }
        // Always Paystack's own API (behaviour §8.3 #10): nothing an organization member edits may redirect the secret key.
        var base = services.integrationEndpoints.paystack
        while base.hasSuffix("/") { base.removeLast() }
        let url = "\(base)/transaction/initialize"
        let request: JSON = ["method": "POST", "url": .string(url), "amount": .int(amount), "reference": .string(reference.isEmpty ? nil : reference)]

        let started = monotonicSeconds()
        let reply: HTTPResult
        do {
            reply = try await services.http(method: "POST", url: url,
                                            headers: [("Authorization", "Bearer \(secret)"), ("Content-Type", "application/json")],
                                            body: Array(JSONWriter.string(.object(body)).utf8), secretHeaders: ["Authorization"])
        } catch {
            let message = "Paystack request failed: \((error as? NodeFailure)?.message ?? "\(error)")"
            return failure(access, message, request: request, started: started)
        }
        let value = reply.value
        guard (200..<300).contains(reply.status), value["status"] != false, let link = value["data"]["authorization_url"].stringValue else {
            let detail = value["message"].stringValue.map { ": \($0)" } ?? ""
            return failure(access, "Paystack returned status \(reply.status)\(detail)", request: request, started: started, status: reply.status)
        }
        let ref = value["data"]["reference"].stringValue ?? reference
        let call = IntegrationCall(botIntegrationId: access.id, success: true, message: "paystack_payment \(ref)", requestData: request,
                                   responseData: ["status": .int(reply.status), "reference": .string(ref)], errorDetails: .null,
                                   durationMs: elapsedMs(started))
        return RemoteNodes.Result(outputs: ["payment_link": .string(link), "reference": .string(ref)], call: call)
    }

    /// `https://<host>[:port]` of a Shopify `store_url` (`shop.example.com`, `https://shop.example.com/`): the access
    /// token only ever travels over https, to the store's host alone (no path, query or user info).
    static func storeBase(_ store: String) throws -> String {
        var host = Substring(store)
        let lowered = store.lowercased()
        if lowered.hasPrefix("https://") {
            host = host.dropFirst("https://".count)
        } else if lowered.contains("://") {
            throw NodeFailure("Shopify store_url must use https")
        }
        while host.hasSuffix("/") { host = host.dropLast() }
        guard !host.isEmpty, host.count <= 255,
            host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":") })
        else { throw NodeFailure("Shopify store_url is not a valid host name") }
        return "https://\(host)"
    }

    static func elapsedMs(_ started: Double) -> Int { Int(((monotonicSeconds() - started) * 1000).rounded()) }

    static func failure(_ access: IntegrationAccess, _ message: String, request: JSON, started: Double, status: Int? = nil) -> RemoteNodes.Result {
        let call = IntegrationCall(botIntegrationId: access.id, success: false, message: message, requestData: request,
                                   responseData: status.map { ["status": .int($0)] } ?? .null, errorDetails: ["message": .string(message)],
                                   durationMs: elapsedMs(started))
        return RemoteNodes.Result(failure: message, call: call)
    }
}
