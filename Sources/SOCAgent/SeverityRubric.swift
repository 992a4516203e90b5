public import SOCModel
import SOCStore

/// The severity rubric: which evidence is CRITICAL, HIGH, MEDIUM or LOW, and why — every row the deterministic
/// analyst can apply, in one table a reviewer can read.
///
/// The guide (DESIGN.md §1): CRITICAL = active breach, data exfiltration, ransomware, critical system compromise;
/// HIGH = confirmed malicious activity, successful brute force, lateral movement; MEDIUM = suspicious activity that
/// needs investigation, policy violations; LOW = informational, likely false positive. Process rules carry their own
/// severity and technique (``InvestigationRules/processRules``); ``processRows`` lists them beside this table.
public enum RubricRule: String, Sendable, CaseIterable, Codable {
    case attackChain = "attack-chain"
    case logonAfterBruteForce = "logon-after-brute-force"
    case bruteForce = "brute-force"
    case passwordSpraying = "password-spraying"
    case repeatedFailedLogins = "failed-logins-repeated"
    case failedLogins = "failed-logins"
    case maliciousAddress = "intel-malicious-address"
    case suspiciousAddress = "intel-suspicious-address"
    case maliciousFile = "intel-malicious-file"
    case suspiciousFile = "intel-suspicious-file"
    case knownExploitedCVE = "cve-known-exploited"
    case criticalCVE = "cve-critical"
    case outboundAfterLogon = "outbound-after-logon"
    case outboundConnections = "outbound-connections"
    case sigmaCredentialDumping = "sigma-credential-dumping"
    case sigmaCritical = "sigma-critical"
    case sigmaHigh = "sigma-high"
    case sigmaMedium = "sigma-medium"
    case alertCritical = "alert-critical"
    case alertElevated = "alert-elevated"
    case alertLow = "alert-low"
    case corroborated = "corroborated"
    case corroboratedLow = "corroborated-low"
    case nothingCorroborates = "nothing-corroborates"

    /// One row of the rubric.
    public struct Row: Sendable {
        /// The severity the evidence sets.
        public let severity: Severity
        /// The kind of finding the row applies to.
        public let kind: FindingKind?
        /// The ATT&CK techniques the evidence shows.
        public let techniques: [String]
        /// When the row applies.
        public let when: String
    }

    /// The rubric, row by row.
    public var row: Row {
        switch self {
        case .attackChain:
            Row(
                severity: .critical,
                kind: .attackChain,
                techniques: ["T1110", "T1078"],
                when:
                    "failed logins, a successful logon from their source, then a MEDIUM-or-worse process or Sigma finding on the host it reached"
            )
        case .logonAfterBruteForce:
            Row(
                severity: .high,
                kind: .logonAfterFailures,
                techniques: ["T1110", "T1078"],
                when: "a successful logon from an address after its failed logins"
            )
        case .bruteForce:
            Row(
                severity: .medium,
                kind: .bruteForce,
                techniques: ["T1110", "T1110.001"],
                when: "five or more failed logins from one address against fewer than five accounts"
            )
        case .passwordSpraying:
            Row(
                severity: .medium,
                kind: .bruteForce,
                techniques: ["T1110", "T1110.003"],
                when: "five or more failed logins from one address against five or more accounts"
            )
        case .repeatedFailedLogins:
            Row(
                severity: .medium,
                kind: .failedLogins,
                techniques: ["T1110"],
                when: "five or more failed logins for an account named in the alert, no brute-force source found"
            )
        case .failedLogins:
            Row(
                severity: .low,
                kind: .failedLogins,
                techniques: [],
                when: "fewer than five failed logins for an account named in the alert"
            )
        case .maliciousAddress:
            Row(
                severity: .high,
                kind: .intelligenceVerdict,
                techniques: [],
                when: "threat intelligence rates an address malicious"
            )
        case .suspiciousAddress:
            Row(
                severity: .medium,
                kind: .intelligenceVerdict,
                techniques: [],
                when: "threat intelligence rates an address suspicious"
            )
        case .maliciousFile:
            Row(
                severity: .high,
                kind: .intelligenceVerdict,
                techniques: ["T1204.002"],
                when: "threat intelligence rates a file hash malicious"
            )
        case .suspiciousFile:
            Row(
                severity: .medium,
                kind: .intelligenceVerdict,
                techniques: ["T1204.002"],
                when: "threat intelligence rates a file hash suspicious"
            )
        case .knownExploitedCVE:
            Row(
                severity: .high,
                kind: .vulnerability,
                techniques: ["T1190"],
                when: "a CVE in CISA's Known Exploited Vulnerabilities catalog"
            )
        case .criticalCVE:
            Row(
                severity: .medium,
                kind: .vulnerability,
                techniques: [],
                when: "a CVE with CVSS 9 or more, not known to be exploited"
            )
        case .outboundAfterLogon:
            Row(
                severity: .medium,
                kind: .outboundConnection,
                techniques: ["T1071"],
                when: "outbound connections to public addresses from a host after a logon that followed failures"
            )
        case .outboundConnections:
            Row(
                severity: .low,
                kind: .outboundConnection,
                techniques: [],
                when: "outbound connections to public addresses from a host in the alert"
            )
        case .sigmaCredentialDumping:
            Row(
                severity: .critical,
                kind: .sigmaDetection,
                techniques: ["T1003"],
                when: "a high or critical Sigma rule for OS credential dumping (T1003) matched on the host"
            )
        case .sigmaCritical:
            Row(
                severity: .high,
                kind: .sigmaDetection,
                techniques: [],
                when: "a critical Sigma rule (\"indicates an incident\") matched on the host"
            )
        case .sigmaHigh:
            Row(
                severity: .medium,
                kind: .sigmaDetection,
                techniques: [],
                when: "a high Sigma rule (\"requires a prompt review\") matched on the host"
            )
        case .sigmaMedium:
            Row(
                severity: .medium,
                kind: .sigmaDetection,
                techniques: [],
                when:
                    "a medium Sigma rule (\"should be reviewed\": suspicious activity that needs investigation) matched"
            )
        case .alertCritical:
            Row(
                severity: .high,
                kind: .externalAlert,
                techniques: [],
                when: "another product's alert its source rates critical (Elastic Security, Sentinel, an alert file)"
            )
        case .alertElevated:
            Row(
                severity: .medium,
                kind: .externalAlert,
                techniques: [],
                when: "another product's alert its source rates high or medium"
            )
        case .alertLow:
            Row(
                severity: .low,
                kind: .externalAlert,
                techniques: [],
                when: "another product's alert its source rates low or informational, alone"
            )
        case .corroborated:
            Row(
                severity: .high,
                kind: .corroboration,
                techniques: [],
                when:
                    "MEDIUM findings from two or more rules with different ATT&CK techniques in one incident: independent evidence of one intrusion"
            )
        case .corroboratedLow:
            Row(
                severity: .medium,
                kind: .corroboration,
                techniques: [],
                when:
                    "LOW alerts from two or more rules with different ATT&CK techniques in one incident: several weak signals on the same hosts, accounts or addresses"
            )
        case .nothingCorroborates:
            Row(severity: .low, kind: nil, techniques: [], when: "no tool found activity that corroborates the alert")
        }
    }

    /// The row's severity.
    public var severity: Severity { row.severity }

    /// The Sigma row for detections of `level`, given whether one of them is tagged for credential dumping (T1003);
    /// `nil` for informational and low levels, which the analyst does not cite.
    public static func sigma(level: SigmaLevel, dumpsCredentials: Bool) -> RubricRule? {
        switch level {
        case .critical where dumpsCredentials, .high where dumpsCredentials: .sigmaCredentialDumping
        case .critical: .sigmaCritical
        case .high: .sigmaHigh
        case .medium: .sigmaMedium
        case .low, .informational: nil
        }
    }

    /// The process rules' rows: identifier, severity, technique and reason, in rule order.
    public static var processRows: [(id: String, severity: Severity, technique: String, reason: String)] {
        InvestigationRules.processRules.map { ($0.id, $0.severity, $0.technique, $0.reason) }
    }
}

extension Severity {
    /// The guide's line for this severity (DESIGN.md §1), quoted in a report's severity reasons.
    public var meaning: String {
        switch self {
        case .critical: "active breach, exfiltration, ransomware or credential theft"
        case .high: "confirmed malicious activity, a successful brute force or lateral movement"
        case .medium: "suspicious activity that needs investigation"
        case .low: "informational or likely false positive"
        }
    }
}
