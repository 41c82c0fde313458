import Testing

@testable import LogsTransport

@Suite("AMQP endpoint")
struct AMQPEndpointTests {
    @Test("reads host, port, credentials and vhost")
    func readsFullURL() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://user:p%40ss@rabbit.example:5673/logs?heartbeat=10")
        #expect(endpoint.host == "rabbit.example")
        #expect(endpoint.port == 5673)
        #expect(endpoint.username == "user")
        #expect(endpoint.password == "p@ss")
        #expect(endpoint.vhost == "logs")
        #expect(endpoint.heartbeat == .seconds(10))
        #expect(!endpoint.usesTLS)
    }

    @Test("defaults to guest on the root vhost")
    func readsDefaults() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://localhost")
        #expect(endpoint.port == 5672)
        #expect(endpoint.username == "guest")
        #expect(endpoint.password == "guest")
        #expect(endpoint.vhost == "/")
    }

    @Test("decodes an encoded vhost and uses the TLS port")
    func readsTLSAndEncodedVhost() throws {
        let endpoint = try AMQPEndpoint(url: "amqps://u:p@host/%2F")
        #expect(endpoint.usesTLS)
        #expect(endpoint.port == 5671)
        #expect(endpoint.vhost == "/")
    }

    @Test("rejects other schemes and bad options without the password")
    func rejectsInvalidURLs() {
        for url in ["http://host", "amqp://u:secret@host?heartbeat=abc", "amqp://u:secret@host:70000"] {
            let error = #expect(throws: AMQPError.self) { try AMQPEndpoint(url: url) }
            #expect(error?.code == .invalidURL)
            #expect(error.map { !"\($0)".contains("secret") } ?? true)
        }
    }

    @Test("description hides the credentials")
    func descriptionHidesCredentials() throws {
        let endpoint = try AMQPEndpoint(url: "amqp://user:secret@host:5672/vhost")
        #expect(endpoint.description == "amqp://host:5672/vhost")
    }
}
