#!/usr/bin/env python3
"""Score indicator-of-compromise extractors against the hand-labelled corpus.

The corpus is Tests/SOCParsersTests/Fixtures/indicators/corpus.jsonl: one JSON object per line, either
{"text": ..., "expect": {...}} (synthetic) or {"source": "loghub/x.log", "line": 12, "expect": {...}} (a real line,
resolved against $SOCAGENT_TEST_DATA or ../shared/data next to the repository; the text is that line without its
line ending, LF or CRLF). "expect" maps categories (ips, domains, urls, emails, hashes, cves, users, hosts,
timestamps, paths) to lists of strings; a missing category means "none expected".

Peers (pip install iocextract ioc-finder):
  iocextract  extract_ipv4s/extract_ipv6s(refang) -> ips, extract_urls(refang) -> urls, extract_emails(refang) ->
              emails, extract_hashes -> hashes (32/40/64 hex only; SHA-512 dropped)
  ioc-finder  find_iocs: ipv4s/ipv6s/ipv4_cidrs/ipv6_cidrs -> ips, domains, urls, email_addresses -> emails,
              md5s/sha1s/sha256s -> hashes, cves, file_paths -> paths (default options otherwise)

Each tool is scored only on the categories it supports (micro-averaged over those for "overall").

  scripts/compare-ioc-peers.py                       # both peers
  scripts/compare-ioc-peers.py --peer ioc-finder --errors
  scripts/compare-ioc-peers.py --dump-texts /tmp/texts.jsonl        # one JSON string per corpus entry
  scripts/compare-ioc-peers.py --ours-output /tmp/ours.jsonl --peer none
      # ours.jsonl: one JSON object per corpus entry, in corpus order, with our category lists; the categories
      # scored are the keys present in any of its objects (emit [] for a supported category with nothing found)
"""

import argparse
import json
import os
import re
import sys

CATEGORIES = ["ips", "domains", "urls", "emails", "hashes", "cves", "users", "hosts", "timestamps", "paths"]
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(REPO, "Tests", "SOCParsersTests", "Fixtures", "indicators", "corpus.jsonl")


# ---------------------------------------------------------------- corpus


def data_dir(explicit):
    if explicit:
        return explicit
    env = os.environ.get("SOCAGENT_TEST_DATA")
    if env:
        return env
    return os.path.normpath(os.path.join(REPO, "..", "shared", "data"))


def read_source_line(root, source, line, cache):
    path = os.path.join(root, source)
    if path not in cache:
        with open(path, "rb") as f:
            cache[path] = f.read().decode("utf-8").split("\n")
    lines = cache[path]
    if line < 1 or line > len(lines):
        raise SystemExit(f"{source}: no line {line}")
    text = lines[line - 1]
    return text[:-1] if text.endswith("\r") else text


def load_corpus(path, root):
    entries, cache = [], {}
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            obj = json.loads(raw)
            if "text" in obj:
                text, label = obj["text"], f"text#{n}"
            else:
                text = read_source_line(root, obj["source"], obj["line"], cache)
                label = f"{obj['source']}:{obj['line']}"
            expect = obj.get("expect", {})
            unknown = set(expect) - set(CATEGORIES)
            if unknown:
                raise SystemExit(f"corpus line {n}: unknown categories {sorted(unknown)}")
            json_line = obj.get("source", "").endswith((".jsonl", ".ndjson"))
            entries.append({"label": label, "text": text, "expect": expect, "json_line": json_line})
    return entries


# ---------------------------------------------------------------- normalization (same for labels and outputs)

TRAILING = ".,;:!?)]}'\">"
IPV4_PORT = re.compile(r"^(\d{1,3}(?:\.\d{1,3}){3}):\d+$")


def refang(s):
    s = re.sub(r"^hxxp", "http", s, flags=re.I)
    for a, b in (("[.]", "."), ("(.)", "."), ("[dot]", "."), ("[@]", "@"), ("[at]", "@"), ("[:]", ":")):
        s = s.replace(a, b).replace(a.upper(), b)
    return s


def json_unescape(s):
    # Texts that are JSON lines carry paths and names JSON-escaped; labels hold the decoded value.
    return s.replace("\\\\", "\x00").replace('\\"', '"').replace("\x00", "\\")


def norm(cat, value, unescape):
    v = str(value).strip()
    if unescape:
        v = json_unescape(v)
    if not v:
        return None
    if cat == "ips":
        v = refang(v).lower().strip("[]")
        v = v.split("%")[0] if "%" in v and ":" in v else v
        m = IPV4_PORT.match(v)
        return m.group(1) if m else v
    if cat == "domains":
        return refang(v).lower().rstrip(".")
    if cat == "urls":
        v = refang(v).rstrip(TRAILING)
        m = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#]*)(.*)$", v)
        return (m.group(1).lower() + m.group(2).lower() + m.group(3)) if m else v
    if cat == "emails":
        return refang(v).lower().rstrip(".")
    if cat == "hashes":
        return v.lower()
    if cat == "cves":
        return v.upper()
    if cat == "hosts":
        return v.lower()
    if cat == "paths":
        return v.rstrip(TRAILING).rstrip("\\") or v
    if cat == "timestamps":
        # The same instant written with or without a zero fraction: `10:15:23Z` == `10:15:23.000Z`.
        return re.sub(r"\.0+Z$", "Z", v)
    return v  # users: exact


def norm_set(cat, values, json_line, expected=None):
    """Normalized set of values. For outputs on a JSON-line text a value may be JSON-escaped (read from the raw
    line) or already decoded (read from the parsed record): the variant that matches a label is used."""
    out = set()
    for v in values or []:
        n = norm(cat, v, False)
        if json_line:
            decoded = norm(cat, v, True)
            if expected is not None and n not in expected and decoded in expected:
                n = decoded
            elif expected is None or n not in expected:
                n = decoded
        if n:
            out.add(n)
    return out


# ---------------------------------------------------------------- peers


def peer_iocextract():
    import iocextract

    def run(text):
        hashes = [h for h in iocextract.extract_hashes(text) if len(h) in (32, 40, 64)]
        return {
            "ips": list(iocextract.extract_ipv4s(text, refang=True)) + list(iocextract.extract_ipv6s(text)),
            "urls": list(iocextract.extract_urls(text, refang=True)),
            "emails": list(iocextract.extract_emails(text, refang=True)),
            "hashes": hashes,
        }

    version = getattr(iocextract, "__version__", None) or _dist_version("iocextract")
    return "iocextract", version, ["ips", "urls", "emails", "hashes"], run


def peer_ioc_finder():
    from ioc_finder import find_iocs

    types = ["ipv4s", "ipv6s", "ipv4_cidrs", "ipv6_cidrs", "domains", "urls", "email_addresses",
             "md5s", "sha1s", "sha256s", "cves", "file_paths"]

    def run(text):
        r = find_iocs(text, included_ioc_types=types)
        return {
            "ips": list(r["ipv4s"]) + list(r["ipv6s"]) + list(r["ipv4_cidrs"]) + list(r["ipv6_cidrs"]),
            "domains": list(r["domains"]),
            "urls": list(r["urls"]),
            "emails": list(r["email_addresses"]),
            "hashes": list(r["md5s"]) + list(r["sha1s"]) + list(r["sha256s"]),
            "cves": list(r["cves"]),
            "paths": list(r["file_paths"]),
        }

    return "ioc-finder", _dist_version("ioc-finder"), ["ips", "domains", "urls", "emails", "hashes", "cves", "paths"], run


def _dist_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return "?"


PEERS = {"iocextract": peer_iocextract, "ioc-finder": peer_ioc_finder}


# ---------------------------------------------------------------- scoring


def score(entries, outputs, categories):
    counts = {c: {"tp": 0, "fp": 0, "fn": 0} for c in categories}
    errors = []
    for entry, out in zip(entries, outputs):
        for c in categories:
            exp = norm_set(c, entry["expect"].get(c, []), False)
            got = norm_set(c, out.get(c, []), entry["json_line"], exp)
            tp, fp, fn = exp & got, got - exp, exp - got
            counts[c]["tp"] += len(tp)
            counts[c]["fp"] += len(fp)
            counts[c]["fn"] += len(fn)
            if fp or fn:
                errors.append((entry["label"], c, sorted(fp), sorted(fn)))
    return counts, errors


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else None
    r = tp / (tp + fn) if tp + fn else None
    f = 2 * p * r / (p + r) if p is not None and r is not None and p + r else (0.0 if p == 0 or r == 0 else None)
    return p, r, f


def fmt(x):
    return "    —" if x is None else f"{x:5.3f}"


def table(name, version, counts, supported, expected_counts):
    lines = [f"{name} {version}".rstrip(), f"  {'category':<11} {'expected':>8} {'TP':>5} {'FP':>5} {'FN':>5}  {'prec':>5}  {'recall':>6}  {'F1':>5}"]
    tot = {"tp": 0, "fp": 0, "fn": 0}
    for c in CATEGORIES:
        if c not in supported:
            lines.append(f"  {c:<11} {expected_counts[c]:>8} {'not supported':>17}")
            continue
        k = counts[c]
        for key in tot:
            tot[key] += k[key]
        p, r, f = prf(k["tp"], k["fp"], k["fn"])
        lines.append(f"  {c:<11} {expected_counts[c]:>8} {k['tp']:>5} {k['fp']:>5} {k['fn']:>5}  {fmt(p)}  {fmt(r):>6}  {fmt(f)}")
    p, r, f = prf(tot["tp"], tot["fp"], tot["fn"])
    exp_total = sum(expected_counts[c] for c in supported)
    lines.append(f"  {'overall':<11} {exp_total:>8} {tot['tp']:>5} {tot['fp']:>5} {tot['fn']:>5}  {fmt(p)}  {fmt(r):>6}  {fmt(f)}"
                 f"   (micro over {', '.join(c for c in CATEGORIES if c in supported)})")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--data", help="root for 'source' paths (default $SOCAGENT_TEST_DATA or ../shared/data)")
    ap.add_argument("--peer", action="append", choices=sorted(PEERS) + ["all", "none"],
                    help="peer(s) to run (repeatable; default all)")
    ap.add_argument("--ours-output", metavar="FILE", help="JSONL of our extractor's output, one object per corpus entry")
    ap.add_argument("--ours-name", default="socagent")
    ap.add_argument("--dump-texts", metavar="FILE", help="write the resolved texts, one JSON string per line, and exit")
    ap.add_argument("--errors", action="store_true", help="list each entry's false positives / false negatives")
    args = ap.parse_args()

    entries = load_corpus(args.corpus, data_dir(args.data))

    if args.dump_texts:
        with open(args.dump_texts, "w", encoding="utf-8") as f:
            for e in entries:
                f.write(json.dumps(e["text"], ensure_ascii=False) + "\n")
        print(f"wrote {len(entries)} texts to {args.dump_texts}")
        return

    expected_counts = {c: sum(len(norm_set(c, e["expect"].get(c, []), False)) for e in entries) for c in CATEGORIES}
    print(f"corpus {os.path.relpath(args.corpus)}: {len(entries)} entries; expected indicators: "
          + ", ".join(f"{c} {expected_counts[c]}" for c in CATEGORIES))
    print()

    chosen = args.peer or ["all"]
    names = [] if "none" in chosen else (sorted(PEERS) if "all" in chosen else chosen)
    runs = []
    for name in names:
        label, version, supported, run = PEERS[name]()
        runs.append((label, version, supported, [run(e["text"]) for e in entries]))

    if args.ours_output:
        with open(args.ours_output, encoding="utf-8") as f:
            outs = [json.loads(l) for l in f if l.strip()]
        if len(outs) != len(entries):
            raise SystemExit(f"{args.ours_output}: {len(outs)} objects for {len(entries)} corpus entries")
        supported = [c for c in CATEGORIES if any(c in o for o in outs)]
        runs.append((args.ours_name, "", supported, outs))

    for label, version, supported, outs in runs:
        counts, errors = score(entries, outs, supported)
        print(table(label, version, counts, supported, expected_counts))
        if args.errors:
            for where, c, fp, fn in errors:
                print(f"    {where} [{c}]" + (f" FP {fp}" if fp else "") + (f" FN {fn}" if fn else ""))
        print()


if __name__ == "__main__":
    main()
