import Foundation
import Logging
import SOCModel
import SOCTriage
import ServiceLifecycle

/// The triage loop inside the server: a pass every interval, or at once when alerts arrive; on a graceful
/// shutdown (SIGTERM, SIGINT) the pass in progress finishes — its investigations written and recorded — and the
/// loop ends.
final class TriageWorker: Service {
    let triage: TriageService
    let interval: Duration
    let metrics: ServerMetrics
    let logger: Logger
    private let doorbell = Doorbell()

    init(triage: TriageService, interval: Duration, metrics: ServerMetrics, logger: Logger) {
        self.triage = triage
        self.interval = interval
        self.metrics = metrics
        self.logger = logger
    }

    /// Starts a pass now (or right after the one running).
    func wake() { Task { await doorbell.ring() } }

    func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            while !stopping.isSet {
                let started = ContinuousClock.now
                do {
                    let pass = try await triage.run(now: Timestamp(secondsSinceEpoch: Date().timeIntervalSince1970))
                    metrics.record(pass, seconds: (ContinuousClock.now - started).seconds)
                    if pass.alerts > 0 || !pass.incidents.isEmpty {
                        logger.info(
                            "triage pass",
                            metadata: [
                                "alerts": "\(pass.alerts)", "new_incidents": "\(pass.newIncidents)",
                                "investigated": "\(pass.incidents.count)",
                            ]
                        )
                    }
                    for failure in pass.failures {
                        logger.warning("investigation failed", metadata: ["why": "\(failure)"])
                    }
                } catch {
                    metrics.recordFailedPass()
                    logger.error("triage pass failed", metadata: ["error": "\(error)"])
                }
                if stopping.isSet { break }
                await doorbell.wait(upTo: interval)
            }
        } onGracefulShutdown: {
            stopping.set()
            Task { await self.doorbell.ring() }
        }
    }
}

/// A wake-up that is not lost when it comes before the wait.
actor Doorbell {
    private var waiter: CheckedContinuation<Void, Never>?
    private var rung = false

    func ring() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            rung = true
        }
    }

    func wait(upTo duration: Duration) async {
        if rung {
            rung = false
            return
        }
        let timer = Task {
            guard (try? await Task.sleep(for: duration)) != nil else { return }
            await self.ring()
        }
        await withCheckedContinuation { waiter = $0 }
        timer.cancel()
        rung = false
    }
}

/// A flag set once, read from any thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
