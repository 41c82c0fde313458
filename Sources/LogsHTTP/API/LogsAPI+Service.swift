import Foundation
import LogsCore
import LogsTransport

extension LogsAPI {
    func addServiceRoutes(to router: inout Router) {
        router.add("GET", "/uptime", prepare: prepareUptime) { _ in try await uptime() }
        router.add("POST", "/pusher/existence", maximumBodySize: settings.maximumPartBodySize) { request in
            try await pusherExistence(request)
        }
        router.addMetricsRoute(pipeline.metrics)
    }

    /// `GET /uptime`: `{uptime, greeting, pong, now, version}`.
    ///
    /// `pong` is `PONG` when reading the maintenance switch, a Redis call in production, works.
    /// `now` is the wall-clock time in UTC, whatever clock the pipeline runs on.
    // NOTE: the original reads `now` from PostgreSQL (`select now()`), so it differs from this
    // value by the skew between this host's clock and the database server's.
    private func uptime() async throws -> HTTPResponse {
        do {
            _ = try await pipeline.maintenance.remainingTime()
        } catch {
            failureRuns.logFailure(
                "uptime", to: pipeline.logger, level: .warning,
                "uptime check could not read the maintenance switch, logging again once it can",
                metadata: ["error": "\(error)"])
            return .error(503, "the maintenance switch cannot be read: \(error)")
        }
        failureRuns.logRecovery(
            "uptime", to: pipeline.logger, "uptime check reads the maintenance switch again", countName: "failed_checks"
        )
        return uptimeResponse()
    }

    /// Responds to `GET /uptime` on libmicrohttpd's thread while a recent reading of the
    /// maintenance switch is kept, which shows that reading it works.
    private func prepareUptime(_ request: HTTPRequest) -> Router.Preparation {
        pipeline.maintenance.stateWithoutWaiting() == nil ? .runHandler : .respond(uptimeResponse())
    }

    private func uptimeResponse() -> HTTPResponse {
        let uptime = pipeline.clock.now().timeIntervalSince(bootTime)
        return .json([
            "uptime": .double(uptime), "greeting": "hello, human 👋!", "pong": "PONG",
            "now": LogJSON.time(Date()), "version": .string(settings.version),
        ])
    }

    /// `POST /pusher/existence`: marks channels occupied or vacated; 204, or 401 when the webhook's
    /// key or signature is wrong.
    private func pusherExistence(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let webhookVerifier else {
            return .error(401, "Pusher webhooks are not accepted: the Pusher secret is not set on the server")
        }
        let webhook: PusherWebhook
        do {
            webhook = try webhookVerifier.verify(
                key: request.header("X-Pusher-Key"), signature: request.header("X-Pusher-Signature"),
                body: request.body)
        } catch {
            return .error(401, "invalid Pusher webhook: \(error)")
        }
        for event in webhook.events {
            guard let channel = event.channel else { continue }
            switch event.name {
            case "channel_occupied": try await pipeline.presence.markOccupied(channel)
            case "channel_vacated": try await pipeline.presence.markVacant(channel)
            default: continue
            }
        }
        return .empty(204)
    }
}
