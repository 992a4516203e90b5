/// Tells domain names from the dotted words logs are full of (file names, .NET namespaces, versions).
enum Domains {
    /// Country-code top-level domains (ISO 3166 two-letter codes in the root zone) and the generic ones seen in
    /// threat reports. New gTLDs that are also common words (`.management`, `.security`, `.service`) are left out on
    /// purpose: in logs those are class names far more often than hosts.
    static let topLevel: Set<String> = {
        let countryCodes = """
            ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz \
            ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu fi fj fk \
            fm fo fr ga gb gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu id ie il im in io iq \
            ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md me mg mh \
            mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk \
            pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz \
            tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw
            """
        let generic = """
            com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat onion \
            xyz top online site club shop store tech space website live life world today news email link click \
            download win bid loan date stream racing review trade party science work men cricket faith accountant \
            icu buzz rest fun host press pw cloud digital network solutions systems services agency company center \
            group zone ltd gdn kim vip monster cyou sbs cfd quest bond beauty hair skin makeup yachts autos boats \
            homes motorcycles lol pics surf uno best fit ink wiki page dev app zip mov one blog art
            """
        return Set((countryCodes + " " + generic).split(separator: " ").map(String.init))
    }()

    /// Endings that, after a single name, are far more often file extensions than top-level domains
    /// (`backup.zip`, `install.sh`, `run.py`, `libssl.so`, `readme.md`).
    static let fileLikeEndings: Set<String> = [
        "zip", "mov", "app", "sh", "py", "rs", "md", "ps", "so", "ms", "pm", "ko", "la",
    ]

    /// Whether `bytes` (a dotted name, no scheme or path) is a fully qualified domain name worth reporting.
    /// - Parameter strictCase: Whether to refuse names whose ending is capitalised unlike the rest (`System.IO`);
    ///   off where the context already says "host" (an e-mail address, a URL).
    static func isDomain(_ bytes: some Collection<UInt8>, strictCase: Bool = true) -> Bool {
        var labels: [ArraySlice<UInt8>] = []
        let array = Array(bytes)
        guard array.count >= 4, array.count <= 253 else { return false }
        var start = 0
        for index in 0...array.count where index == array.count || array[index] == 0x2E {
            let label = array[start..<index]
            guard !label.isEmpty, label.count <= 63, label.first != 0x2D, label.last != 0x2D else { return false }
            for byte in label where !(IndicatorExtractor.isAlphanumeric(byte) || byte == 0x2D || byte == 0x5F) {
                return false
            }
            labels.append(label)
            start = index + 1
        }
        guard labels.count >= 2, let last = labels.last else { return false }
        let tld = String(decoding: last, as: UTF8.self)
        let lowerTLD = tld.lowercased()
        guard topLevel.contains(lowerTLD) else { return false }
        // `System.IO`, `Microsoft.Net`: a capitalised ending is a namespace, unless the whole name is upper case.
        if tld != lowerTLD && (strictCase || tld != tld.uppercased()) {
            let whole = String(decoding: array, as: UTF8.self)
            guard whole == whole.uppercased(), whole.contains(where: \.isLetter) else { return false }
        }
        if labels.count == 2 && fileLikeEndings.contains(lowerTLD) { return false }
        // A name made of digits only (`1.2.3.in`) is a version or an address fragment.
        if labels.dropLast().allSatisfy({ $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }) { return false }
        return true
    }
}
