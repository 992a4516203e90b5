public import Foundation
import SOCHTTP
import SOCModel

/// Looks indicators up in every applicable source and aggregates a verdict.
///
/// For each source: local sources answer directly; Internet services answer from the persistent cache when a fresh
/// answer is there (negative answers too), else — unless offline — after the source's quota allows a request.
/// Whatever goes wrong (not configured, out of quota, unreachable, refused key) becomes evidence of an `unknown`
/// verdict with the reason; a lookup never throws.
public struct ThreatIntelService: Sendable {
    /// A source that exists but cannot be used, and why (for example a missing API key).
    public struct UnavailableSource: Sendable {
        public var name: String
        public var kinds: Set<IndicatorKind>
        public var reason: String

        public init(name: String, kinds: Set<IndicatorKind>, reason: String) {
            self.name = name
            self.kinds = kinds
            self.reason = reason
        }
    }

    private let database: IntelDatabase
    private let providers: [any ThreatIntelProvider]
    private let unavailable: [UnavailableSource]
    private let offline: Bool
    private let maximumQuotaWait: Duration
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - providers: Every usable source, local and remote.
    ///   - unavailable: Sources that are known but unusable, reported as `unknown` with their reason.
    ///   - offline: Never contact a service: local sources and cached answers only.
    ///   - maximumQuotaWait: The longest wait for a rate-limit slot (VirusTotal's 4 per minute); a longer wait gives
    ///     "unknown, because the rate limit…" instead.
    public init(
        database: IntelDatabase,
        providers: [any ThreatIntelProvider],
        unavailable: [UnavailableSource] = [],
        offline: Bool = false,
        maximumQuotaWait: Duration = .seconds(60),
        now: @escaping @Sendable () -> Date = { Date() },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.database = database
        self.providers = providers
        self.unavailable = unavailable
        self.offline = offline
        self.maximumQuotaWait = maximumQuotaWait
        self.now = now
        self.sleep = sleep
    }

    /// One quota of a source and what is left of it now.
    public struct QuotaState: Sendable, Equatable {
        /// The source (`abuseipdb`, `virustotal`, `nvd`).
        public var source: String
        /// The quota.
        public var limit: RateLimit
        /// Requests the quota still allows in its current window.
        public var remaining: Int
    }

    /// The quotas of the sources that have them (services, not local data), with what is left of each now, shared
    /// by every investigation and process that uses this intel database.
    public func quotas() throws -> [QuotaState] {
        let moment = now()
        var states: [QuotaState] = []
        for provider in providers where !provider.isLocal {
            for limit in provider.limits {
                let used = try database.requestsUsed(provider: provider.name, limit: limit, now: moment)
                states.append(QuotaState(source: provider.name, limit: limit, remaining: max(0, limit.count - used)))
            }
        }
        return states
    }

    /// How long answers are kept: reputations change daily, file verdicts and CVE records more slowly.
    public static func cacheLifetime(kind: IndicatorKind, found: Bool) -> Duration {
        switch (kind, found) {
        case (.hash, true): .seconds(7 * 86_400)
        case (.cve, true): .seconds(3 * 86_400)
        default: .seconds(86_400)
        }
    }

    /// Looks `indicator` up in every source that handles its kind.
    public func lookup(_ indicator: IntelIndicator) async -> IntelReport {
        var sources: [SourceEvidence] = []
        var answers: [(source: String, answer: ProviderAnswer)] = []
        let scope = indicator.scope
        for provider in providers where provider.kinds.contains(indicator.kind) {
            if let scope, scope != .public, !provider.isLocal {
                sources.append(
                    SourceEvidence(
                        source: provider.name,
                        verdict: .unknown,
                        summary: "not sent: a \(scope.rawValue) address is not looked up on the Internet"
                    )
                )
                continue
            }
            let evidence = await consult(provider, about: indicator)
            sources.append(evidence.evidence)
            if let answer = evidence.answer { answers.append((provider.name, answer)) }
        }
        for source in unavailable where source.kinds.contains(indicator.kind) && (scope == nil || scope == .public) {
            sources.append(.unavailable(source.name, because: source.reason))
        }
        let verdict = sources.map(\.verdict).max() ?? .unknown
        var reasons = sources.filter { $0.verdict == verdict && verdict != .unknown }.map {
            "\($0.source): \($0.summary)"
        }
        if verdict == .unknown {
            reasons = ["no source knows it: " + sources.map { "\($0.source) (\($0.summary))" }.joined(separator: "; ")]
        }
        if sources.isEmpty { reasons = ["no source handles \(indicator.kind.rawValue) indicators"] }
        var report = IntelReport(
            indicator: indicator.value,
            kind: indicator.kind,
            verdict: verdict,
            scope: scope,
            hashType: indicator.kind == .hash ? HashKind(hexLength: indicator.value.utf8.count) : nil,
            reasons: reasons,
            sources: sources,
            cve: nil
        )
        if indicator.kind == .cve { report.cve = Self.mergeCVE(indicator.value, answers: answers.map(\.answer)) }
        return report
    }

    /// One source's evidence, and its answer when it gave one.
    private func consult(
        _ provider: any ThreatIntelProvider,
        about indicator: IntelIndicator
    ) async
        -> (evidence: SourceEvidence, answer: ProviderAnswer?)
    {
        if provider.isLocal {
            do {
                let answer = try await provider.lookup(indicator)
                return (evidence(provider.name, answer, fromCache: false, fetchedAt: nil), answer)
            } catch {
                return (.unavailable(provider.name, because: describe(error)), nil)
            }
        }
        if let cached = try? database.cachedAnswer(provider: provider.name, indicator: indicator, now: now()) {
            return (evidence(provider.name, cached.answer, fromCache: true, fetchedAt: cached.fetchedAt), cached.answer)
        }
        if offline { return (.unavailable(provider.name, because: "offline and no cached answer"), nil) }
        do {
            try await waitForSlot(provider)
            let answer = try await provider.lookup(indicator)
            let fetchedAt = now()
            try? database.cache(
                answer,
                provider: provider.name,
                indicator: indicator,
                lifetime: Self.cacheLifetime(kind: indicator.kind, found: answer.found),
                now: fetchedAt
            )
            return (evidence(provider.name, answer, fromCache: false, fetchedAt: fetchedAt), answer)
        } catch let error as ProviderError {
            if case .quotaExhausted(let until, let detail) = error {
                try? database.block(
                    provider: provider.name,
                    until: until ?? now().addingTimeInterval(3600),
                    reason: detail
                )
            }
            return (.unavailable(provider.name, because: error.description), nil)
        } catch {
            return (.unavailable(provider.name, because: describe(error)), nil)
        }
    }

    /// Waits for a request slot within ``maximumQuotaWait``, or throws ``ProviderError/quotaExhausted(until:detail:)``.
    private func waitForSlot(_ provider: any ThreatIntelProvider) async throws {
        let deadline = now().addingTimeInterval(maximumQuotaWait.timeInterval)
        while true {
            let slot = try database.takeRequestSlot(provider: provider.name, limits: provider.limits, now: now())
            guard case .wait(let until, let reason) = slot else { return }
            guard until <= deadline else { throw ProviderError.quotaExhausted(until: until, detail: reason) }
            try await sleep(.milliseconds(Int64(max(0.05, until.timeIntervalSince(now())) * 1000)))
        }
    }

    private func evidence(
        _ source: String,
        _ answer: ProviderAnswer,
        fromCache: Bool,
        fetchedAt: Date?
    ) -> SourceEvidence {
        SourceEvidence(
            source: source,
            verdict: answer.verdict,
            summary: answer.summary,
            fromCache: fromCache,
            fetchedAt: fetchedAt.map(IntelTime.iso8601),
            details: answer.details
        )
    }

    private func describe(_ error: any Error) -> String {
        (error as? ProviderError)?.description ?? "\(error)"
    }

    /// The CVE as the sources together describe it: NVD's record (online or imported), and the KEV entry.
    static func mergeCVE(_ id: String, answers: [ProviderAnswer]) -> CVERecord? {
        let records = answers.compactMap(\.cve)
        guard !records.isEmpty else { return nil }
        var merged = records.first { $0.cvssScore != nil || $0.status != nil } ?? CVERecord(id: id)
        for record in records {
            if merged.description == nil || merged.description?.isEmpty == true {
                merged.description = record.description
            }
            if record.knownExploited { merged.knownExploited = true }
            // The catalog's entry (with vendor and product) beats the NVD record's copy of the KEV fields.
            if let kev = record.kev, merged.kev == nil || !kev.vendorProject.isEmpty { merged.kev = kev }
            if merged.cwes.isEmpty { merged.cwes = record.cwes }
        }
        return merged
    }
}
