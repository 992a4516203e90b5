import Foundation
import SOCModel
import SOCStore

/// ``InvestigationRules`` and ``EventFilter`` in Elasticsearch query DSL, so a cluster answers the investigation
/// queries exactly as the embedded store does.
enum QueryDSL {
    /// A `bool` query of filters (no scoring) and, optionally, scored `must` clauses.
    static func bool(
        filter: [[String: Any]],
        must: [[String: Any]] = [],
        mustNot: [[String: Any]] = []
    ) -> [String: Any] {
        var clauses: [String: Any] = ["filter": filter]
        if !must.isEmpty { clauses["must"] = must }
        if !mustNot.isEmpty { clauses["must_not"] = mustNot }
        return ["bool": clauses]
    }

    static func term(_ field: String, _ value: String) -> [String: Any] { ["term": [field: value]] }
    static func terms(_ field: String, _ values: [String]) -> [String: Any] { ["terms": [field: values]] }

    /// Newest first (to the microsecond in documents socagent wrote); the event id (ascending, as the embedded store orders) breaks ties, so pages and repeated
    /// queries are stable and both stores list events in the same order.
    static var newestFirst: [[String: Any]] {
        [
            [ElasticsearchEventStore.microsecondsField: ["order": "desc", "unmapped_type": "long"]],
            ["@timestamp": ["order": "desc", "unmapped_type": "date"]],
            [ElasticsearchEventStore.idField: ["order": "asc", "unmapped_type": "keyword"]],
        ]
    }

    /// Oldest first, for walks over everything (hunting).
    static var oldestFirst: [[String: Any]] {
        [
            [ElasticsearchEventStore.microsecondsField: ["order": "asc", "unmapped_type": "long"]],
            ["@timestamp": ["order": "asc", "unmapped_type": "date"]],
            [ElasticsearchEventStore.idField: ["order": "asc", "unmapped_type": "keyword"]],
        ]
    }

    /// The window, address (or CIDR block), user and host of an ``EventFilter``.
    static func filter(_ filter: EventFilter) -> [[String: Any]] {
        var clauses: [[String: Any]] = []
        if let range = filter.timeRange, range.start != nil || range.end != nil {
            var bounds: [String: Any] = [:]
            if let start = range.start { bounds["gte"] = start.iso8601 }
            if let end = range.end { bounds["lt"] = end.iso8601 }
            clauses.append(["range": ["@timestamp": bounds]])
        }
        if let matcher = filter.sourceIP {
            clauses.append(
                term(ECSField.sourceIP, matcher.isSingleAddress ? matcher.network.description : matcher.description)
            )
        }
        if let user = filter.user { clauses.append(term(ECSField.userName, user)) }
        if let host = filter.host { clauses.append(hostClause(host)) }
        return clauses
    }

    /// `host.name` equal to `host`, compared without case.
    static func hostClause(_ host: String) -> [String: Any] {
        ["term": [ECSField.hostName: ["value": host, "case_insensitive": true] as [String: Any]]]
    }

    /// A Windows event id, wherever the Beats version that shipped the document put it: `event.code` (ECS,
    /// Winlogbeat 7+), `winlog.event_id` (Winlogbeat 7+ without the ingest pipeline), `event_id` (Winlogbeat 6).
    static func windowsEvent(_ ids: [String], provider: String? = nil) -> [String: Any] {
        let idClauses: [[String: Any]] = [
            terms(ECSField.eventCode, ids), terms(ECSField.winlogEventID, ids), terms("event_id", ids),
        ]
        var filter: [[String: Any]] = [["bool": ["should": idClauses, "minimum_should_match": 1] as [String: Any]]]
        if let provider {
            filter.append(
                [
                    "bool": [
                        "should": [
                            term(ECSField.eventProvider, provider), term(ECSField.winlogProviderName, provider),
                            term("source_name", provider),
                        ],
                        "minimum_should_match": 1,
                    ] as [String: Any]
                ])
        }
        return bool(filter: filter)
    }

    /// Documents socagent did not write (a Beats document without ECS categories): only these get the event-id
    /// fallbacks, so socagent's own documents are judged by exactly the embedded store's rules.
    static var foreign: [String: Any] {
        bool(filter: [], mustNot: [["exists": ["field": ElasticsearchEventStore.idField]]])
    }

    /// ``InvestigationRules/isFailedLogin(_:)``: explicit-credential 4648 from the Security log, or an
    /// authentication failure that is not PAM's copy of an sshd attempt; in Beats documents without ECS
    /// categorization, Security 4625 and 4771.
    static var failedLogin: [String: Any] {
        [
            "bool": [
                "should": [
                    bool(filter: [
                        foreign, windowsEvent(["4625", "4771"], provider: "Microsoft-Windows-Security-Auditing"),
                    ]),
                    bool(filter: [term(ECSField.eventCode, "4648"), term(ECSField.eventModule, "security")]),
                    bool(
                        filter: [
                            term(ECSField.eventCategory, "authentication"), term(ECSField.eventOutcome, "failure"),
                        ],
                        mustNot: [
                            bool(filter: [
                                ["prefix": [ECSField.eventAction: "pam_auth_failure"]],
                                term(ECSField.processName, "sshd"),
                            ])
                        ]
                    ),
                ],
                "minimum_should_match": 1,
            ] as [String: Any]
        ]
    }

    /// ``InvestigationRules/isSuccessfulLogon(_:)``; in Beats documents without ECS categorization, Security 4624.
    static var successfulLogon: [String: Any] {
        let rule = bool(
            filter: [
                term(ECSField.eventCategory, "authentication"), term(ECSField.eventOutcome, "success"),
                terms(ECSField.eventAction, InvestigationRules.successfulLogonActions.sorted()),
            ],
            mustNot: [term(ECSField.eventCode, "4648")]
        )
        let beats = bool(filter: [foreign, windowsEvent(["4624"], provider: "Microsoft-Windows-Security-Auditing")])
        return ["bool": ["should": [rule, beats], "minimum_should_match": 1] as [String: Any]]
    }

    /// ``InvestigationRules/isConnection(_:includePrivate:)``.
    static func connection(includePrivate: Bool) -> [String: Any] {
        var mustNot: [[String: Any]] = [terms(ECSField.networkDirection, ["ingress", "inbound"])]
        if !includePrivate {
            mustNot += IPAddress.privateNetworks.map { term(ECSField.destinationIP, $0.description) }
        }
        return bool(
            filter: [term(ECSField.eventCategory, "network"), ["exists": ["field": ECSField.destinationIP]]],
            mustNot: mustNot
        )
    }

    /// Process activity that one of ``InvestigationRules/processRules`` could flag: a rule's image, a rule's first
    /// command-line word, or PowerShell logging (matched without regard to case).
    static var processCandidates: [String: Any] {
        var alternatives: [[String: Any]] = InvestigationRules.candidateImages.map {
            ["term": [ECSField.processName: ["value": $0, "case_insensitive": true]]]
        }
        // A command line containing a rule's word: in ECS, or in `winlog.event_data` where Beats documents keep it
        // until Elastic's pipeline copies it.
        let commandFields = [
            ECSField.processCommandLine, "winlog.event_data.CommandLine", "event_data.CommandLine",
            "winlog.event_data.ScriptBlockText",
        ]
        for word in InvestigationRules.candidateCommandWords {
            let pattern =
                "*"
                + word.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "*", with: "\\*")
                .replacingOccurrences(of: "?", with: "\\?") + "*"
            for field in commandFields {
                alternatives.append(["wildcard": [field: ["value": pattern, "case_insensitive": true]]])
            }
        }
        alternatives.append(terms(ECSField.eventAction, InvestigationRules.scriptLoggingActions))
        // Process starts as socagent writes them, or as Beats ship them (Winlogbeat's Sysmon module says
        // "Process creation"; without the ingest pipeline only the event id tells).
        let processStart: [String: Any] = [
            "bool": [
                "should": [
                    bool(filter: [
                        term(ECSField.eventCategory, "process"),
                        terms(ECSField.eventAction, InvestigationRules.processActions.sorted()),
                    ]),
                    bool(filter: [foreign, windowsEvent(["4688"], provider: "Microsoft-Windows-Security-Auditing")]),
                    bool(filter: [foreign, windowsEvent(["1"], provider: "Microsoft-Windows-Sysmon")]),
                    bool(filter: [foreign, windowsEvent(["4103", "4104"], provider: "Microsoft-Windows-PowerShell")]),
                ],
                "minimum_should_match": 1,
            ] as [String: Any]
        ]
        for field in [
            "winlog.event_data.NewProcessName", "winlog.event_data.Image", "event_data.NewProcessName",
            "event_data.Image",
        ] {
            alternatives.append(["exists": ["field": field]])
        }
        return [
            "bool": ["filter": [processStart], "should": alternatives, "minimum_should_match": 1] as [String: Any]
        ]
    }
}
