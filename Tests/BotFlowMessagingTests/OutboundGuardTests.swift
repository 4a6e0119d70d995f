import BotFlowCore
import BotFlowMessaging
import BotFlowSecurity
import BotFlowTestSupport
import Foundation
import Testing

/// behaviour.md §5.8: outbound HTTP from workflows refuses private destinations (also after redirects), non-HTTP
/// schemes, over-long redirect chains and bodies over 1 MiB.
@Suite struct OutboundGuardTests {
    @Test(arguments: [
        ("127.0.0.1", true), ("127.8.9.10", true), ("10.1.2.3", true), ("172.16.0.1", true), ("172.31.255.255", true),
        ("172.32.0.1", false), ("192.168.0.10", true), ("169.254.169.254", true), ("100.64.0.1", true), ("100.127.255.255", true),
        ("100.128.0.1", false), ("0.0.0.0", true), ("8.8.8.8", false), ("93.184.216.34", false),
        ("::1", true), ("::", true), ("fe80::1", true), ("fc00::1", true), ("fd12:3456::1", true), ("::ffff:10.0.0.1", true),
        ("::ffff:8.8.8.8", false), ("2606:4700::1111", false),
    ])
    func classifiesAddresses(_ address: String, _ isPrivate: Bool) throws {
        let bytes = try #require(OutboundDestinationGuard.parseAddress(address))
        #expect(OutboundDestinationGuard.isPrivate(bytes) == isPrivate, "\(address)")
    }

    @Test func refusesSchemesAndNamesResolvingToPrivateAddresses() throws {
        let guardian = OutboundDestinationGuard(allowPrivate: false) { host in
            switch host {
            case "shop.example.com": [[93, 184, 216, 34]]
            case "mixed.example.com": [[93, 184, 216, 34], [10, 0, 0, 5]]
            case "metadata.example.com": [[169, 254, 169, 254]]
            default: []
            }
        }
        #expect(throws: Never.self) { try guardian.check(URL(string: "https://shop.example.com/orders")!) }
        for url in ["http://mixed.example.com/", "http://metadata.example.com/latest", "ftp://shop.example.com/", "file:///etc/passwd",
                    "http://127.0.0.1:8080/", "http://[::1]/", "http://unknown.example.com/"] {
            #expect(throws: OutboundDestinationGuard.Refused.self, "\(url)") { try guardian.check(URL(string: url)!) }
        }
        let open = OutboundDestinationGuard(allowPrivate: true)
        #expect(throws: Never.self) { try open.check(URL(string: "http://127.0.0.1:8080/")!) }
        #expect(throws: OutboundDestinationGuard.Refused.self) { try open.check(URL(string: "gopher://127.0.0.1/")!) }
    }

    @Test func octalAndOtherNonDecimalIPv4SpellingsAreResolvedNotTrusted() {
        // inet_aton reads `0251` as octal: these are 169.254.169.254, 127.0.0.1 and 10.0.0.1 to the connecting client.
        let guardian = OutboundDestinationGuard(allowPrivate: false)
        for url in ["http://0251.254.0251.254/latest/meta-data/", "http://0177.0.0.1:3001/", "http://012.0.0.1/", "http://2852039166/",
                    "http://0xA9.0xFE.0xA9.0xFE/"] {
            #expect(throws: OutboundDestinationGuard.Refused.self, "\(url)") { try guardian.check(URL(string: url)!) }
        }
        #expect(OutboundDestinationGuard.parseAddress("010.1.2.3") == nil)
    }

    @Test func plainHTTPConnectsToTheCheckedAddressNotANewLookup() async throws {
        let server = try await FakeProvider.start()
        defer { server.stop() }
        server.setReply(.init(status: 200, body: "pinned"), forPath: "/ok")
        // `rebind.test` does not exist in real DNS: the request only arrives if the client connects to the address the
        // guard checked, with the original name in the Host header.
        let client = GuardedHTTPClient(allowPrivate: false, resolve: { _ in [[127, 0, 0, 1]] },
                                       addressPolicy: { $0 == [127, 0, 0, 1] ? false : OutboundDestinationGuard.isPrivate($0) })
        let reply = try await client.send(method: "GET", url: "http://rebind.test:\(server.port)/ok")
        #expect(reply.status == 200 && String(decoding: reply.body, as: UTF8.self) == "pinned")
        #expect(server.requests.last?.header("Host") == "rebind.test:\(server.port)")
    }

    @Test func privateDestinationsAreRefusedBeforeAnyRequestUnlessAllowed() async throws {
        let server = try await FakeProvider.start()
        defer { server.stop() }
        let refused = GuardedHTTPClient(allowPrivate: false)
        await #expect(throws: GuardedHTTPClient.Failure.self) { try await refused.send(method: "GET", url: server.baseURL + "/ok") }
        #expect(server.requests.isEmpty, "nothing was sent to the private address")

        let allowed = GuardedHTTPClient(allowPrivate: true)
        server.setReply(.init(status: 200, body: #"{"ok":true}"#), forPath: "/ok")
        let reply = try await allowed.send(method: "GET", url: server.baseURL + "/ok")
        #expect(reply.status == 200 && String(decoding: reply.body, as: UTF8.self) == #"{"ok":true}"#)
    }

    @Test func redirectsAreCheckedAtEveryHopAndLimitedToThree() async throws {
        let server = try await FakeProvider.start()
        defer { server.stop() }
        // 127.0.0.1 (the test server) counts as public here; every other loopback address — 127.0.0.2, the redirect
        // target — stays private.
        let client = GuardedHTTPClientForTests.make()
        server.setReply(.init(status: 302, headers: [("Location", "http://127.0.0.2:\(server.port)/secret")]), forPath: "/hop")
        await #expect(throws: GuardedHTTPClient.Failure.self) { try await client.send(method: "GET", url: server.baseURL + "/hop") }
        #expect(server.requests.map(\.path) == ["/hop"], "the private redirect target was never requested")

        server.reset()
        for n in 0..<5 { server.setReply(.init(status: 307, headers: [("Location", "/r\(n + 1)")]), forPath: "/r\(n)") }
        server.setReply(.init(status: 200, body: "done"), forPath: "/r3")
        let three = try await client.send(method: "POST", url: server.baseURL + "/r0", body: Array("x".utf8))
        #expect(three.status == 200 && three.finalURL.hasSuffix("/r3"))
        server.setReply(.init(status: 307, headers: [("Location", "/r4")]), forPath: "/r3")
        await #expect(throws: GuardedHTTPClient.Failure.self) { try await client.send(method: "GET", url: server.baseURL + "/r0") }

        server.setReply(.init(status: 200, body: String(repeating: "a", count: 1_048_577)), forPath: "/big")
        await #expect(throws: GuardedHTTPClient.Failure.self) { try await client.send(method: "GET", url: server.baseURL + "/big") }
    }
}

/// A guarded client whose resolver treats only 127.0.0.1 as public, so a local server can stand in for a public
/// host while every other loopback address stays private.
enum GuardedHTTPClientForTests {
    static func make() -> GuardedHTTPClient {
        GuardedHTTPClient(allowPrivate: false, addressPolicy: { bytes in bytes == [127, 0, 0, 1] ? false : OutboundDestinationGuard.isPrivate(bytes) })
    }
}
