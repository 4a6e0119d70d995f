import HTTPTypes
import Hummingbird

/// The response headers of behaviour §5.1, built once at startup (CSP `connect-src` includes `FRONTEND_URL`).
enum SecurityHeaders {
    static func fields(frontendURL: String) -> HTTPFields {
        let csp = "default-src 'self'; base-uri 'self'; connect-src 'self' \(frontendURL); font-src 'self' https: data:; "
            + "form-action 'self'; frame-ancestors 'self'; frame-src 'none'; img-src 'self' data: https:; media-src 'self'; "
            + "object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' 'unsafe-inline'; upgrade-insecure-requests"
        let pairs: [(String, String)] = [
            ("Content-Security-Policy", csp),
            ("Strict-Transport-Security", "max-age=31536000; includeSubDomains; preload"),
            ("X-Frame-Options", "DENY"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("X-XSS-Protection", "1; mode=block"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Cross-Origin-Resource-Policy", "cross-origin"),
            ("Origin-Agent-Cluster", "?1"),
            ("X-DNS-Prefetch-Control", "off"),
            ("X-Download-Options", "noopen"),
            ("X-Permitted-Cross-Domain-Policies", "none"),
        ]
        var fields = HTTPFields()
        for (name, value) in pairs { fields[HTTPField.Name(name)!] = value }
        return fields
    }
}
