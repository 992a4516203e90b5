public import SOCModel
import SOCStore

/// Runs the behaviour rules over a stream of events and reports one ``BehaviourHit`` per rule and group (host,
/// source address or account).
///
/// Call ``observe(_:)`` with pages of events in any order, then ``finish()``. Single-event rules are decided as each
/// event arrives; windowed rules (fan-out, Kerberoasting, mass writes, transfers, service-after-logon,
/// archive-then-upload) keep what they need per group and decide at the end, from the events' minimum and maximum
/// times, so out-of-order pages give the same answer. Time is linear in the events (plus sorting each windowed
/// group once), and memory is bounded by ``Limits``: at most ``Limits/maxGroups`` groups per state table and
/// ``Limits/maxObservations`` kept events overall; beyond those, new groups and events are counted in
/// ``droppedObservations`` and not kept.
///
/// ```swift
/// var engine = BehaviourEngine()
/// while let batch = try reader.nextBatch() { engine.observe(batch) }
/// for hit in engine.finish() { print(hit.rule.id, hit.hosts, hit.count) }
/// ```
public struct BehaviourEngine: Sendable {
    /// The thresholds and windows the rules use, and the memory bounds.
    public struct Limits: Sendable, Equatable {
        /// Distinct hosts one source must log on to (``BehaviourRule/logonFanOut``).
        public var fanOutHosts = 3
        /// The window those logons fall in: 15 minutes.
        public var fanOutWindow: Int64 = 15 * 60 * 1_000_000
        /// How long before a service install a network logon makes it remote (``BehaviourRule/remoteServiceInstall``):
        /// 10 minutes (and up to a minute after, for clock skew between the logs).
        public var remoteServiceWindow: Int64 = 10 * 60 * 1_000_000
        /// Distinct files renamed to one appended extension (``BehaviourRule/massFileEncryption``).
        public var encryptedFiles = 50
        /// The window those renames fall in: 10 minutes.
        public var encryptionWindow: Int64 = 10 * 60 * 1_000_000
        /// Distinct files written by one program outside the system folders.
        public var massWriteFiles = 200
        /// The window those writes fall in: one minute.
        public var massWriteWindow: Int64 = 60 * 1_000_000
        /// Bytes sent to one public address (``BehaviourRule/largeOutboundTransfer``): 100 MB (10^8 bytes), well
        /// above a day of ordinary browsing to one site and below a typical staged archive.
        public var exfiltrationBytes: Int64 = 100_000_000
        /// The window those bytes are summed over: one hour.
        public var exfiltrationWindow: Int64 = 60 * 60 * 1_000_000
        /// How long after an archive an upload counts (``BehaviourRule/archiveThenUpload``): 30 minutes.
        public var archiveUploadWindow: Int64 = 30 * 60 * 1_000_000
        /// Distinct services one account must request RC4 tickets for (``BehaviourRule/kerberoasting``).
        public var kerberoastServices = 3
        /// The window those requests fall in: 10 minutes.
        public var kerberoastWindow: Int64 = 10 * 60 * 1_000_000
        /// The most groups any one state table (and the hit table) keeps.
        public var maxGroups = 10_000
        /// The most events one windowed group keeps.
        public var maxPerGroup = 4_096
        /// The most events the windowed rules keep overall.
        public var maxObservations = 200_000

        /// The defaults documented on each rule.
        public init() {}
    }

    /// The limits in force.
    public let limits: Limits
    /// How many events or groups were not kept because a bound was reached (0 unless the input is huge).
    public private(set) var droppedObservations = 0

    private let enabled: Set<String>
    private let order: [String: Int]
    private var hits = HitTable()
    private var kept = 0
    private var fanOut = Groups()
    private var kerberoast = Groups()
    private var encryption = Groups()
    private var massWrites = Groups()
    private var transfers = Groups()
    private var networkLogons: [String: [NetworkLogon]] = [:]
    private var serviceInstalls = Groups()
    private var archives = Groups()
    private var uploads = Groups()
    /// The notable-event bursts (``BehaviourEngine/NotableBurst``), keyed by rule id and group.
    var bursts = Groups()

    /// Creates an engine running `rules` (all of them by default).
    public init(rules: [BehaviourRule] = BehaviourRule.all) {
        self.init(rules: rules, limits: Limits())
    }

    /// Creates an engine running `rules` with other thresholds or bounds.
    public init(rules: [BehaviourRule] = BehaviourRule.all, limits: Limits) {
        self.limits = limits
        enabled = Set(rules.map(\.id))
        order = Dictionary(
            BehaviourRule.all.enumerated().map { ($0.element.id, $0.offset) },
            uniquingKeysWith: { first, _ in first }
        )
    }

    /// Takes in a page of events (in any order relative to other pages).
    public mutating func observe(_ events: [SecurityEvent]) {
        for event in events { observe(event) }
    }

    /// The hits, in rule order (``BehaviourRule/all``), then by first seen and group.
    public func finish() -> [BehaviourHit] {
        var table = hits
        var overflow = 0
        func add(_ rule: BehaviourRule, _ group: String, _ occurrences: [Occurrence]) {
            for occurrence in occurrences where !table.add(rule, group: group, occurrence, maxGroups: limits.maxGroups)
            {
                overflow += 1
            }
        }
        if enabled.contains(BehaviourRule.logonFanOut.id) {
            for (source, list) in fanOut.lists {
                let matched = Window.distinct(list, span: limits.fanOutWindow, atLeast: limits.fanOutHosts)
                add(.logonFanOut, source, matched)
            }
        }
        if enabled.contains(BehaviourRule.kerberoasting.id) {
            for (account, list) in kerberoast.lists {
                let matched = Window.distinct(list, span: limits.kerberoastWindow, atLeast: limits.kerberoastServices)
                add(.kerberoasting, account, matched)
            }
        }
        if enabled.contains(BehaviourRule.massFileEncryption.id) {
            for list in encryption.lists.values {
                let matched = Window.distinct(list, span: limits.encryptionWindow, atLeast: limits.encryptedFiles)
                add(.massFileEncryption, list.first?.host ?? "", matched)
            }
            for list in massWrites.lists.values {
                let matched = Window.distinct(list, span: limits.massWriteWindow, atLeast: limits.massWriteFiles)
                add(.massFileEncryption, list.first?.host ?? "", matched)
            }
        }
        if enabled.contains(BehaviourRule.largeOutboundTransfer.id) {
            for list in transfers.lists.values {
                let matched = Window.sum(list, span: limits.exfiltrationWindow, atLeast: limits.exfiltrationBytes)
                add(.largeOutboundTransfer, list.first?.addresses.first ?? "", matched)
            }
        }
        for (host, installs) in serviceInstalls.lists {
            let all = networkLogons[host] ?? []
            let timed = all.filter { $0.time != nil }.sorted { ($0.time ?? 0) < ($1.time ?? 0) }
            let untimed = all.filter { $0.time == nil }
            for var install in installs {
                // The logons that make the install remote: timed ones from the window before it (and a minute
                // after, for clock skew between logs), and untimed ones, which may be from any time.
                var sources = untimed
                if let time = install.time {
                    sources += Window.slice(
                        timed,
                        from: time - limits.remoteServiceWindow,
                        through: time + 60 * 1_000_000
                    )
                } else {
                    sources = all
                }
                let rule: BehaviourRule = sources.isEmpty ? .newService : .remoteServiceInstall
                for logon in sources.prefix(5) where !install.addresses.contains(logon.address) {
                    install.addresses.append(logon.address)
                }
                for logon in sources.prefix(5) where !install.users.contains(logon.user) {
                    install.users.append(logon.user)
                }
                if enabled.contains(rule.id) { add(rule, host, [install]) }
            }
        }
        if enabled.contains(BehaviourRule.archiveThenUpload.id) {
            for (host, made) in archives.lists {
                guard let sent = uploads.lists[host] else { continue }
                let matched = Window.followed(made, by: sent, within: limits.archiveUploadWindow)
                add(.archiveThenUpload, host, matched)
            }
        }
        for (key, list) in bursts.lists {
            let parts = key.split(separator: "\u{1F}", maxSplits: 1).map(String.init)
            guard parts.count == 2, let burst = NotableBurst.all[parts[0]], enabled.contains(burst.rule.id) else {
                continue
            }
            add(burst.rule, parts[1], Window.distinct(list, span: burst.window, atLeast: burst.atLeast))
        }
        return table.hits(order: order)
    }

    // MARK: - One event

    private mutating func observe(_ event: SecurityEvent) {
        let view = BehaviourEvent(event)
        switch view.action {
        case "logged-in":
            observeLogon(view)
        case "kerberos-service-ticket-requested":
            observeServiceTicket(view)
        case "service-installed":
            observeServiceInstall(view)
        case "created-process", "process-created":
            observeProcessStart(view)
        case "pipe-created", "pipe-connected":
            if BehaviourMatch.isPsExecPipe(view.fileName) {
                record(.psexec, view, fields: [ECSField.fileName, ECSField.processExecutable])
            }
        case "network-share-object-checked":
            // PsExec's pipes opened through IPC$, or its service binary copied to ADMIN$, seen on the target
            // (5145) when it has no Sysmon.
            let target = view.string(ECSField.eventData("RelativeTargetName"))
            let pipe = view.string(ECSField.eventData("ShareName"))?.uppercased().hasSuffix("IPC$") == true
            if pipe && BehaviourMatch.isPsExecPipe(target) || BehaviourMatch.isPsExecBinary(target) {
                record(.psexec, view, fields: [ECSField.eventData("RelativeTargetName"), ECSField.userName])
            }
        case "registry-value-set", "registry-key-created-or-deleted":
            observeRegistry(view)
        case "process-accessed":
            if BehaviourMatch.isSuspiciousLSASSAccess(view) {
                record(
                    .lsassAccess,
                    view,
                    fields: [
                        ECSField.processExecutable, "process.target.executable", ECSField.eventData("GrantedAccess"),
                    ]
                )
            }
        case "file-created":
            if BehaviourMatch.isLSASSDump(view.fileName) {
                record(.lsassAccess, view, fields: [ECSField.filePath, ECSField.processExecutable])
            }
            observeFileWrite(view)
        case "object-accessed":
            if view.code == "4662", BehaviourMatch.isDCSync(view) {
                record(.dcSync, view, fields: [ECSField.userName, ECSField.eventData("Properties")])
            } else if view.code == "4663", BehaviourMatch.isFileWrite(view) {
                observeFileWrite(view)
            }
        case "audit-log-cleared", "log-cleared":
            record(.auditLogCleared, view, fields: [ECSField.winlogChannel, ECSField.userName])
        case "scheduled-task-created":
            record(.scheduledTask, view, fields: [ECSField.userName, ECSField.eventData("TaskName")])
        case "added-user-account":
            record(.newAccount, view, fields: [ECSField.userName, ECSField.userTargetName], extraUser: view.targetUser)
        case "added-member-to-group":
            if BehaviourMatch.isPrivilegedGroup(view.string(ECSField.groupName)) {
                record(
                    .privilegedGroupMember,
                    view,
                    fields: [ECSField.groupName, ECSField.userTargetName, ECSField.userName],
                    extraUser: view.targetUser
                )
            }
        case "script-block-logged", "pipeline-executed":
            observeScript(view)
        default:
            break
        }
        if view.isNetwork { observeConnection(view) }
        observeNotable(view)
    }

    private mutating func observeLogon(_ view: BehaviourEvent) {
        guard InvestigationRules.isSuccessfulLogon(view.event), let source = view.sourceIP,
            BehaviourMatch.isRemoteAccountLogon(view)
        else { return }
        let type = view.string(ECSField.winlogLogonType)
        if type == "Network", let host = view.host {
            let fits =
                (networkLogons[host] != nil || networkLogons.count < limits.maxGroups)
                && (networkLogons[host]?.count ?? 0) < limits.maxPerGroup && kept < limits.maxObservations
            if fits {
                networkLogons[host, default: []].append(
                    NetworkLogon(time: view.time, address: source, user: view.user ?? "")
                )
                kept += 1
            } else {
                droppedObservations += 1
            }
        }
        guard type == "Network" || type == "RemoteInteractive", let address = IPAddress(source), address.isPrivate,
            !BehaviourMatch.isLoopback(address), let host = view.host
        else { return }
        keep(
            \.fanOut,
            source,
            view.occurrence(
                value: host.lowercased(),
                fields: [ECSField.winlogLogonType, ECSField.userName, ECSField.sourceIP]
            )
        )
    }

    private mutating func observeServiceTicket(_ view: BehaviourEvent) {
        guard view.event.outcome == "success",
            view.string(ECSField.eventData("TicketEncryptionType"))?.lowercased() == "0x17",
            let service = view.string(ECSField.serviceName), !service.hasSuffix("$"),
            service.lowercased() != "krbtgt", let account = view.user, !account.hasSuffix("$")
        else { return }
        keep(
            \.kerberoast,
            account.lowercased(),
            view.occurrence(
                value: service.lowercased(),
                fields: [ECSField.userName, ECSField.serviceName, ECSField.sourceIP]
            )
        )
    }

    private mutating func observeServiceInstall(_ view: BehaviourEvent) {
        let fields = [ECSField.serviceName, ECSField.filePath, ECSField.userName]
        let service = view.string(ECSField.serviceName)
        let image = view.string(ECSField.filePath)
        if BehaviourMatch.isPsExecService(name: service, image: image) { record(.psexec, view, fields: fields) }
        if BehaviourMatch.isShellService(image) { record(.serviceRunningShell, view, fields: fields) }
        guard let host = view.host else { return }
        keep(\.serviceInstalls, host, view.occurrence(value: service ?? "", fields: fields, process: image))
    }

    private mutating func observeProcessStart(_ view: BehaviourEvent) {
        let fields = [ECSField.processParentExecutable, ECSField.processCommandLine, ECSField.userName]
        let image = BehaviourMatch.baseName(view.image)
        let parent = BehaviourMatch.baseName(view.parentImage)
        if image == "psexesvc.exe" || parent == "psexesvc.exe" { record(.psexec, view, fields: fields) }
        if parent == "wmiprvse.exe", BehaviourMatch.shells.contains(image) {
            record(.wmiRemoteExecution, view, fields: fields)
        }
        if parent == "wsmprovhost.exe" || parent == "winrshost.exe" { record(.winRMExecution, view, fields: fields) }
        observeCommand(view, commandLine: view.commandLine ?? "", image: image)
    }

    private mutating func observeScript(_ view: BehaviourEvent) {
        let text = [view.string(ECSField.eventData("ScriptBlockText")), view.string(ECSField.eventData("Payload"))]
            .compactMap { $0 }.joined(separator: " ")
        guard !text.isEmpty else { return }
        observeCommand(view, commandLine: text, image: "")
    }

    /// The command-line rules, for process starts and PowerShell logging alike.
    private mutating func observeCommand(_ view: BehaviourEvent, commandLine: String, image: String) {
        let lowered = " " + commandLine.lowercased() + " "
        let fields = [ECSField.processCommandLine, ECSField.eventData("ScriptBlockText"), ECSField.userName]
        if BehaviourMatch.deletesBackups(view.event, lowered: lowered) {
            record(.shadowCopyDeletion, view, fields: fields)
        }
        if BehaviourMatch.disablesBootRecovery(lowered) { record(.bootConfigurationTampering, view, fields: fields) }
        if BehaviourMatch.createsScheduledTask(lowered, image: image) { record(.scheduledTask, view, fields: fields) }
        if BehaviourMatch.createsService(lowered, image: image) { record(.newService, view, fields: fields) }
        if let host = view.host {
            if BehaviourMatch.makesArchive(lowered, image: image) {
                keep(\.archives, host, view.occurrence(value: "archive", fields: fields))
            }
            if BehaviourMatch.uploads(lowered, image: image) {
                keep(\.uploads, host, view.occurrence(value: "upload", fields: fields))
            }
        }
    }

    private mutating func observeRegistry(_ view: BehaviourEvent) {
        guard let path = view.string(ECSField.registryPath) else { return }
        let type = view.string(ECSField.eventData("EventType"))?.lowercased() ?? ""
        guard !type.hasPrefix("delete") else { return }
        let fields = [ECSField.registryPath, "registry.data.strings", ECSField.processExecutable]
        let lowered = path.lowercased()
        if view.action == "registry-value-set", BehaviourMatch.isAutostartKey(lowered) {
            record(.registryAutostart, view, fields: fields)
        }
        if BehaviourMatch.isTaskCacheKey(lowered) { record(.scheduledTask, view, fields: fields) }
    }

    private mutating func observeFileWrite(_ view: BehaviourEvent) {
        guard let host = view.host, let path = view.string(ECSField.filePath) else { return }
        let image = view.image ?? ""
        let fields = [ECSField.filePath, ECSField.processExecutable]
        if let appended = BehaviourMatch.appendedExtension(path) {
            keep(
                \.encryption,
                host + "\u{1F}" + image.lowercased() + "\u{1F}" + appended,
                view.occurrence(value: path.lowercased(), fields: fields)
            )
        }
        if !image.isEmpty, !BehaviourMatch.isSystemPath(image) {
            keep(
                \.massWrites,
                host + "\u{1F}" + image.lowercased(),
                view.occurrence(value: path.lowercased(), fields: fields)
            )
        }
    }

    private mutating func observeConnection(_ view: BehaviourEvent) {
        guard let destination = view.string(ECSField.destinationIP), let address = IPAddress(destination),
            !address.isPrivate
        else { return }
        if let direction = view.string(ECSField.networkDirection), direction == "ingress" || direction == "inbound" {
            return
        }
        let fields = [ECSField.sourceIP, ECSField.destinationIP, ECSField.destinationPort, ECSField.processExecutable]
        if let bytes = view.sentBytes, bytes > 0 {
            let source = view.sourceIP ?? view.host ?? ""
            var occurrence = view.occurrence(value: destination, fields: fields + ["source.bytes", "network.bytes"])
            occurrence.weight = bytes
            occurrence.addresses = [source, destination].filter { !$0.isEmpty }
            keep(\.transfers, source + "\u{1F}" + destination, occurrence)
        }
        if let host = view.host, BehaviourMatch.transferTools.contains(BehaviourMatch.baseName(view.image)) {
            keep(\.uploads, host, view.occurrence(value: "connection", fields: fields))
        }
    }

    // MARK: - Bookkeeping

    mutating func record(
        _ rule: BehaviourRule,
        _ view: BehaviourEvent,
        fields: [String],
        extraUser: String? = nil
    ) {
        guard enabled.contains(rule.id) else { return }
        var occurrence = view.occurrence(value: "", fields: fields)
        if let extraUser, !occurrence.users.contains(extraUser) { occurrence.users.append(extraUser) }
        if !hits.add(rule, group: view.host ?? "", occurrence, maxGroups: limits.maxGroups) {
            droppedObservations += 1
        }
    }

    mutating func keep(_ groups: WritableKeyPath<Self, Groups>, _ key: String, _ occurrence: Occurrence) {
        guard kept < limits.maxObservations,
            self[keyPath: groups].append(
                occurrence,
                to: key,
                maxGroups: limits.maxGroups,
                maxPerGroup: limits.maxPerGroup
            )
        else {
            droppedObservations += 1
            return
        }
        kept += 1
    }
}

// MARK: - State

/// What a hit keeps of one event: its time, identity, entities and one evidence line, plus the value or weight a
/// windowed rule counts (a host, a service, a file, a byte count).
struct Occurrence: Sendable {
    var time: Int64?
    var eventID: String
    var host: String?
    var users: [String]
    var addresses: [String]
    var process: String?
    var evidence: String
    var value: String
    var weight: Int64 = 0
}

/// A network logon to a host, kept to tell a remote service install from a local one.
struct NetworkLogon: Sendable {
    var time: Int64?
    var address: String
    var user: String
}

/// Windowed state: events per group, bounded.
struct Groups: Sendable {
    var lists: [String: [Occurrence]] = [:]

    /// Adds an event to a group; `false` when a bound stops it.
    mutating func append(_ occurrence: Occurrence, to key: String, maxGroups: Int, maxPerGroup: Int) -> Bool {
        if let count = lists[key]?.count {
            guard count < maxPerGroup else { return false }
        } else if lists.count >= maxGroups {
            return false
        }
        lists[key, default: []].append(occurrence)
        return true
    }
}

/// The hits being built, one per rule and group.
struct HitTable: Sendable {
    fileprivate struct Key: Hashable, Sendable {
        let rule: String
        let group: String
    }

    fileprivate struct Entry: Sendable {
        var hit: BehaviourHit
        var seen: Set<String> = []
        var group: String
    }

    private var entries: [Key: Entry] = [:]

    /// Adds one event to its rule's hit for `group`; `false` when the table is full and the group is new.
    mutating func add(_ rule: BehaviourRule, group: String, _ occurrence: Occurrence, maxGroups: Int) -> Bool {
        let key = Key(rule: rule.id, group: group)
        if entries[key] == nil {
            guard entries.count < maxGroups else { return false }
            entries[key] = Entry(hit: BehaviourHit(rule: rule), group: group)
        }
        entries[key]?.add(occurrence)
        return true
    }

    func hits(order: [String: Int]) -> [BehaviourHit] {
        entries.values.sorted { lhs, rhs in
            let left = order[lhs.hit.rule.id] ?? Int.max
            let right = order[rhs.hit.rule.id] ?? Int.max
            if left != right { return left < right }
            let leftTime = lhs.hit.firstSeen?.microsecondsSinceEpoch ?? Int64.min
            let rightTime = rhs.hit.firstSeen?.microsecondsSinceEpoch ?? Int64.min
            if leftTime != rightTime { return leftTime < rightTime }
            return lhs.group < rhs.group
        }.map(\.hit)
    }
}

extension HitTable.Entry {
    mutating func add(_ occurrence: Occurrence) {
        // The same event reaching a hit twice (a page observed twice, or two paths of one rule) counts once.
        guard seen.count >= BehaviourHit.maxEventIDs || seen.insert(occurrence.eventID).inserted else { return }
        hit.count += 1
        if let time = occurrence.time {
            let stamp = Timestamp(microsecondsSinceEpoch: time)
            if hit.firstSeen.map({ stamp < $0 }) ?? true { hit.firstSeen = stamp }
            if hit.lastSeen.map({ stamp > $0 }) ?? true { hit.lastSeen = stamp }
        }
        if hit.eventIDs.count < BehaviourHit.maxEventIDs { hit.eventIDs.append(occurrence.eventID) }
        Self.add(occurrence.host, to: &hit.hosts)
        for user in occurrence.users { Self.add(user, to: &hit.users) }
        for address in occurrence.addresses { Self.add(address, to: &hit.addresses) }
        Self.add(occurrence.process, to: &hit.processes)
        if hit.evidence.count < BehaviourHit.maxEvidence, !hit.evidence.contains(occurrence.evidence) {
            hit.evidence.append(occurrence.evidence)
        }
    }

    private static func add(_ value: String?, to list: inout [String]) {
        guard let value, !value.isEmpty, list.count < BehaviourHit.maxEntities, !list.contains(value) else { return }
        list.append(value)
    }
}

/// The window computations, each linear after one sort.
enum Window {
    /// The events that lie in some window of `span` microseconds holding at least `atLeast` distinct values. Events
    /// without a time are taken to be at one unknown instant, before every timed one.
    static func distinct(_ list: [Occurrence], span: Int64, atLeast threshold: Int) -> [Occurrence] {
        guard Set(list.map(\.value)).count >= threshold else { return [] }
        let sorted = list.sorted { ($0.time ?? Int64.min) < ($1.time ?? Int64.min) }
        var counts: [String: Int] = [:]
        var matched: [Occurrence] = []
        var left = 0
        var markedThrough = -1
        for right in sorted.indices {
            counts[sorted[right].value, default: 0] += 1
            while left < right, !within(sorted[left].time, sorted[right].time, span) {
                let value = sorted[left].value
                counts[value]! -= 1
                if counts[value] == 0 { counts[value] = nil }
                left += 1
            }
            if counts.count >= threshold {
                for index in max(left, markedThrough + 1)...right { matched.append(sorted[index]) }
                markedThrough = right
            }
        }
        return matched
    }

    /// The events that lie in some window of `span` microseconds whose weights sum to at least `atLeast`.
    static func sum(_ list: [Occurrence], span: Int64, atLeast threshold: Int64) -> [Occurrence] {
        guard list.reduce(Int64(0), { $0.addingReportingOverflow($1.weight).partialValue }) >= threshold else {
            return []
        }
        let sorted = list.sorted { ($0.time ?? Int64.min) < ($1.time ?? Int64.min) }
        var total: Int64 = 0
        var matched: [Occurrence] = []
        var left = 0
        var markedThrough = -1
        for right in sorted.indices {
            total = total.addingReportingOverflow(sorted[right].weight).partialValue
            while left < right, !within(sorted[left].time, sorted[right].time, span) {
                total -= sorted[left].weight
                left += 1
            }
            if total >= threshold {
                for index in max(left, markedThrough + 1)...right { matched.append(sorted[index]) }
                markedThrough = right
            }
        }
        return matched
    }

    /// The `first` events followed by one of `then` within `span`, and those followers.
    static func followed(_ first: [Occurrence], by then: [Occurrence], within span: Int64) -> [Occurrence] {
        let starts = first.sorted { ($0.time ?? Int64.min) < ($1.time ?? Int64.min) }
        let ends = then.sorted { ($0.time ?? Int64.min) < ($1.time ?? Int64.min) }
        var used = Set<Int>()
        var matched: [Occurrence] = []
        var latest = -1  // the last start at or before the current end
        for end in ends {
            while latest + 1 < starts.count, (starts[latest + 1].time ?? Int64.min) <= (end.time ?? Int64.min) {
                latest += 1
            }
            guard latest >= 0, within(starts[latest].time, end.time, span) else { continue }
            if used.insert(latest).inserted { matched.append(starts[latest]) }
            matched.append(end)
        }
        return matched
    }

    /// The logons in `sorted` (by time) whose time lies in `from...through`.
    static func slice(_ sorted: [NetworkLogon], from start: Int64, through end: Int64) -> [NetworkLogon] {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if (sorted[middle].time ?? Int64.min) < start { low = middle + 1 } else { high = middle }
        }
        var found: [NetworkLogon] = []
        while low < sorted.count, let time = sorted[low].time, time <= end {
            found.append(sorted[low])
            low += 1
        }
        return found
    }

    /// Whether `later` is at most `span` after `earlier`; unknown times are within any window.
    private static func within(_ earlier: Int64?, _ later: Int64?, _ span: Int64) -> Bool {
        guard let earlier, let later else { return true }
        return later.subtractingReportingOverflow(earlier).partialValue <= span
    }
}
