//! Reputation: attack tooling in the user agent, and calls from listed networks.

use super::{Input, RuleHit};
use crate::catalogue::rule;

pub const RULE_IDS: &[&str] = &[rule::BASELINE_PENTEST_USER_AGENT, rule::BASELINE_LISTED_IP];

/// Markers of attack distributions and tools, matched as lower-case words in the agent
/// (`Linux/5.18.0-kali5-amd64`, `sqlmap/1.7`, `Boto3/… TruffleHog`).
const TOOL_MARKERS: &[&str] = &[
    "kali",
    "parrot",
    "pentoo",
    "blackarch",
    "sqlmap",
    "nmap",
    "nikto",
    "masscan",
    "zgrab",
    "gobuster",
    "dirbuster",
    "wpscan",
    "metasploit",
    "pacu",
    "scoutsuite",
    "prowler",
    "trufflehog",
    "s3scanner",
    "cloudsploit",
    "cloudmapper",
    "weirdaal",
    "cloudfox",
    "stratus-red-team",
    "awspx",
    "nuclei",
    "ffuf",
    "feroxbuster",
    "hydra",
];

pub(super) fn check(i: &Input) -> Option<RuleHit> {
    if let Some(ip) = i.ev.source_ip {
        let listed = i.ip_table.lookup(ip).and_then(|n| i.cfg.ip_lists.get(n));
        if let Some((list, cidr)) = listed {
            let mut h = i.hit(
                rule::BASELINE_LISTED_IP,
                format!("call from {ip}, on list {list}"),
            );
            h.evidence.push(("list", list.clone()));
            h.evidence
                .push(("network", format!("{}/{}", cidr.addr, cidr.prefix)));
            return Some(h);
        }
    }
    let agent = i.b.str(i.ev.user_agent);
    if agent.is_empty() {
        return None;
    }
    let marker = tool_marker(agent, &i.cfg.extra_tool_agents)?;
    let mut h = i.hit(
        rule::BASELINE_PENTEST_USER_AGENT,
        format!("user agent of attack tooling ({marker})"),
    );
    h.evidence
        .push(("user_agent", crate::text::bounded(agent, 200)));
    Some(h)
}

thread_local! {
    /// Verdicts per distinct agent: agents repeat millions of times, tools are rare, so each
    /// distinct string is scanned once per worker.
    static VERDICTS: std::cell::RefCell<hashbrown::HashMap<Box<str>, Option<usize>, foldhash::fast::RandomState>> =
        Default::default();
}

/// The tool marker found in `agent` (built-in list first, then the configured extras).
fn tool_marker(agent: &str, extra: &[String]) -> Option<String> {
    let found = VERDICTS.with(|v| {
        if let Some(&hit) = v.borrow().get(agent) {
            return hit;
        }
        let hit = TOOL_MARKERS
            .iter()
            .copied()
            .chain(extra.iter().map(String::as_str))
            .position(|m| has_word(agent, m));
        let mut map = v.borrow_mut();
        if map.len() >= 20_000 {
            map.clear();
        }
        map.insert(agent.into(), hit);
        hit
    })?;
    Some(
        TOOL_MARKERS
            .get(found)
            .map(|m| m.to_string())
            .unwrap_or_else(|| {
                extra
                    .get(found - TOOL_MARKERS.len())
                    .cloned()
                    .unwrap_or_default()
            }),
    )
}

/// `needle` (lower case) occurs in `hay`, in any ASCII case, not inside a longer word
/// (letters on neither side). Allocation-free: it runs on every event.
fn has_word(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return false;
    }
    (0..=h.len() - n.len()).any(|at| {
        h[at..at + n.len()].eq_ignore_ascii_case(n)
            && !(at > 0 && h[at - 1].is_ascii_alphabetic())
            && !h.get(at + n.len()).is_some_and(|c| c.is_ascii_alphabetic())
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{ct, rule_of, rule_with};
    use super::super::{Cidr, RuleSet, RulesConfig};
    use super::has_word;

    #[test]
    fn tool_agents() {
        let kali = ct("s3.amazonaws.com", "ListBuckets", "{}").replace(
            "aws-cli/2.15.0",
            "Boto3/1.26 Python/3.11 Linux/6.1.0-kali5-amd64 Botocore/1.29",
        );
        assert_eq!(rule_of(&kali), Some("baseline.pentest_user_agent"));
        let truffle = ct("sts.amazonaws.com", "GetCallerIdentity", "{}")
            .replace("aws-cli/2.15.0", "TruffleHog");
        assert_eq!(rule_of(&truffle), Some("baseline.pentest_user_agent"));
        let normal = ct("s3.amazonaws.com", "ListBuckets", "{}");
        assert_eq!(rule_of(&normal), None);
        assert!(!has_word("kalimba/1.0", "kali"));
        assert!(has_word("SQLMap/1.7", "sqlmap"));
        assert!(has_word("x 5.10-kali1 y", "kali"));
    }

    #[test]
    fn listed_networks() {
        let rec = ct("s3.amazonaws.com", "ListBuckets", "{}");
        let set = RuleSet::new(RulesConfig {
            ip_lists: vec![("tor-exits".into(), Cidr::parse("203.0.113.0/24").unwrap())],
            ..Default::default()
        });
        assert_eq!(rule_with(&rec, &set), Some("baseline.listed_ip"));
        assert_eq!(
            rule_with(&rec.replace("203.0.113.7", "198.51.100.1"), &set),
            None
        );
    }
}
