import Hummingbird

extension Request {
    /// Query values as strings; when a key is repeated the last occurrence wins (api.md §1.1).
    var queryDictionary: [String: String] {
        var out: [String: String] = [:]
        for (key, value) in uri.queryParameters { out[String(key)] = String(value) }
        return out
    }
}
