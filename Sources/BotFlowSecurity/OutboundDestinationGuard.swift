import BotFlowCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The destination rule for outbound HTTP from workflows (behaviour §5.8): `http`/`https` only, and — unless private
/// destinations are allowed — no host that resolves to loopback, link-local (incl. 169.254.169.254), RFC 1918,
/// carrier-grade NAT, unspecified, or IPv6 unique-local/link-local addresses. Every address a name resolves to is
/// checked, so a name with one public and one private address is refused.
public struct OutboundDestinationGuard: Sendable {
    public struct Refused: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public let allowPrivate: Bool
    /// Name resolution and the address rule (both injectable so tests can stand a local server in for a public host).
    let resolve: @Sendable (String) throws -> [[UInt8]]
    let isPrivateAddress: @Sendable ([UInt8]) -> Bool

    public init(allowPrivate: Bool, resolve: (@Sendable (String) throws -> [[UInt8]])? = nil,
                isPrivateAddress: (@Sendable ([UInt8]) -> Bool)? = nil) {
        self.allowPrivate = allowPrivate
        self.resolve = resolve ?? OutboundDestinationGuard.systemResolve
        self.isPrivateAddress = isPrivateAddress ?? OutboundDestinationGuard.isPrivate
    }

    /// Checks a URL before a request (and before following each redirect). Returns the addresses the host resolved to
    /// (empty when private destinations are allowed, or the host is an address literal).
    @discardableResult
    public func check(_ url: URL) throws -> [[UInt8]] {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw Refused(reason: "Only http and https URLs are allowed")
        }
        guard let host = url.host, !host.isEmpty else { throw Refused(reason: "URL has no host") }
        if allowPrivate { return [] }
        let literal = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        if let address = IPAddressBytes.parse(literal) {
            if isPrivateAddress(address) { throw Refused(reason: "Destination \(host) is a private address") }
            return []
        }
        let addresses = try resolve(literal)
        guard !addresses.isEmpty else { throw Refused(reason: "Host \(host) does not resolve") }
        if let blocked = addresses.first(where: isPrivateAddress) {
            throw Refused(reason: "Destination \(host) resolves to a private address (\(Self.format(blocked)))")
        }
        return addresses
    }

    /// Loopback, link-local, RFC 1918, CGNAT, unspecified/"this network", IPv6 ULA and link-local.
    public static func isPrivate(_ a: [UInt8]) -> Bool {
        if a.count == 4 {
            switch (a[0], a[1]) {
            case (0, _), (127, _), (10, _): return true
            case (169, 254), (192, 168): return true
            case (172, 16...31): return true
            case (100, 64...127): return true
            default: return false
            }
        }
        guard a.count == 16 else { return true }
        if a.allSatisfy({ $0 == 0 }) { return true }                          // ::
        if a[0..<15].allSatisfy({ $0 == 0 }) && a[15] == 1 { return true }    // ::1
        if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF { return isPrivate(Array(a[12...])) }  // ::ffff:v4
        if a[0] & 0xFE == 0xFC { return true }                                 // fc00::/7
        if a[0] == 0xFE && a[1] & 0xC0 == 0x80 { return true }                 // fe80::/10
        return false
    }

    public static func parseAddress(_ text: String) -> [UInt8]? { IPAddressBytes.parse(text) }

    public static func format(_ a: [UInt8]) -> String {
        a.count == 4 ? a.map(String.init).joined(separator: ".")
            : stride(from: 0, to: 16, by: 2).map { String(UInt16(a[$0]) << 8 | UInt16(a[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// getaddrinfo, every address of the name.
    @Sendable static func systemResolve(_ host: String) throws -> [[UInt8]] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &result) == 0, let first = result else { throw Refused(reason: "Host \(host) does not resolve") }
        defer { freeaddrinfo(first) }
        var out: [[UInt8]] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let info = cursor {
            if info.pointee.ai_family == AF_INET, let sa = info.pointee.ai_addr {
                sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    out.append(withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) })
                }
            } else if info.pointee.ai_family == AF_INET6, let sa = info.pointee.ai_addr {
                sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    out.append(withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) })
                }
            }
            cursor = info.pointee.ai_next
        }
        return out
    }
}
