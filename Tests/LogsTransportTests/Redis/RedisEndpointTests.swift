import Testing

@testable import LogsTransport

@Suite("Redis endpoint")
struct RedisEndpointTests {
    @Test("URL with password and database")
    func urlWithPasswordAndDatabase() throws {
        let endpoint = try RedisEndpoint(url: "redis://:s%40cret@redis.example:6380/3")
        #expect(endpoint.address == .tcp(host: "redis.example", port: 6380))
        #expect(endpoint.username == nil)
        #expect(endpoint.password == "s@cret")
        #expect(endpoint.database == 3)
        #expect(!endpoint.description.contains("cret"))
    }

    @Test("URL with ACL user")
    func urlWithACLUser() throws {
        let endpoint = try RedisEndpoint(url: "redis://worker:pw@127.0.0.1")
        #expect(endpoint.address == .tcp(host: "127.0.0.1", port: 6379))
        #expect(endpoint.username == "worker")
        #expect(endpoint.password == "pw")
        #expect(endpoint.database == 0)
    }

    @Test("unix socket URL")
    func unixSocketURL() throws {
        let endpoint = try RedisEndpoint(url: "unix:///run/redis.sock?db=2")
        #expect(endpoint.address == .unixSocket(path: "/run/redis.sock"))
        #expect(endpoint.database == 2)
    }

    @Test("REDIS_SSL rejected by name")
    func redisSSLRejectedByName() throws {
        let error = try #require(throws: RedisError.self) { try RedisEndpoint(url: "redis://h", usesTLS: true) }
        #expect(error.code == .unsupported)
        #expect(error.message.contains("REDIS_SSL"))
    }

    @Test("rediss scheme rejected")
    func redissSchemeRejected() throws {
        let error = try #require(throws: RedisError.self) { try RedisEndpoint(url: "rediss://h:6380") }
        #expect(error.code == .unsupported)
    }

    @Test("invalid URLs", arguments: ["http://h", "redis://h/abc", "redis://h:70000", "unix://"])
    func invalidURLs(url: String) throws {
        let error = try #require(throws: RedisError.self) { try RedisEndpoint(url: url) }
        #expect(error.code == .invalidURL)
    }

    @Test("invalid URL error hides password")
    func invalidURLErrorHidesPassword() throws {
        let error = try #require(throws: RedisError.self) { try RedisEndpoint(url: "redis://:hunter2@h/x") }
        #expect(!error.description.contains("hunter2"))
    }
}
