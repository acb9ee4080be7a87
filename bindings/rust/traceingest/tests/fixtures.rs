// SPDX-License-Identifier: MIT
//! Every fixture through the Rust binding and through the C tool: the same
//! JSON line for every state (lending and owned iteration, full and delta),
//! and the same verdict (the CLI exits 1 exactly when the binding errs).
mod common;

use traceingest::Error;

fn lending(case: &common::Case, delta: bool) -> (Vec<String>, Option<Error>) {
    let mut lines = Vec::new();
    let mut it = match case.open_options().open(&case.input) {
        Ok(it) => it,
        Err(e) => return (lines, Some(e)),
    };
    loop {
        match it.next() {
            Ok(Some(s)) => lines.push(s.to_json(delta).unwrap()),
            Ok(None) => return (lines, None),
            Err(e) => return (lines, Some(e)),
        }
    }
}

fn owned(case: &common::Case) -> (Vec<traceingest::State>, Option<Error>) {
    let mut states = Vec::new();
    let it = match case.open_options().open(&case.input) {
        Ok(it) => it,
        Err(e) => return (states, Some(e)),
    };
    for r in it {
        match r {
            Ok(s) => states.push(s),
            Err(e) => return (states, Some(e)),
        }
    }
    (states, None)
}

#[test]
fn every_fixture_matches_the_cli() {
    let cli = match common::cli() {
        Some(c) => c,
        None => {
            eprintln!("skipped: the CLI is not built (set TRACEINGEST_CLI)");
            return;
        }
    };
    let cases = common::cases();
    assert!(!cases.is_empty(), "no fixtures under {}", common::data().display());
    let mut total = 0;
    for case in &cases {
        for delta in [false, true] {
            let mut args = case.cli_args();
            if delta {
                args.push("-d".into());
            }
            let (status, want) = common::run_cli(&cli, &args, &case.input);
            let (got, err) = lending(case, delta);
            assert_eq!(got.len(), want.len(), "{} (delta {}): number of states", case.name, delta);
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert_eq!(g, w, "{} (delta {}): state {}", case.name, delta, i);
            }
            assert_eq!(status == 1, err.is_some(), "{}: CLI status {} vs {:?}", case.name, status, err);
            if !delta {
                total += got.len();
                // owned states, read after the iterator is gone
                let (states, err2) = owned(case);
                assert_eq!(err2.is_some(), err.is_some(), "{}", case.name);
                let json: Vec<String> = states.iter().map(|s| s.to_json(false).unwrap()).collect();
                assert_eq!(json, want, "{}: owned states", case.name);
            }
        }
    }
    assert!(total > 0, "the fixtures produced no state at all");
}

#[test]
fn accessors_agree_with_the_json_export() {
    for case in common::cases() {
        let mut it = match case.open_options().open(&case.input) {
            Ok(it) => it,
            Err(_) => continue,
        };
        while let Ok(Some(s)) = it.next() {
            let json = s.to_json(false).unwrap();
            let msgs: Vec<&str> = s.messages().map(|m| m.json()).collect();
            let want = format!("\"messages\":[{}]", msgs.join(","));
            assert!(json.contains(&want), "{} {}: messages", case.name, s.id());
            if let Some(a) = s.action() {
                assert_eq!(a.role(), "assistant");
                assert!(json.contains(&format!("\"action\":{}", a.json())), "{}: action", case.name);
            }
            assert!(json.starts_with(&format!("{{\"state_id\":\"{}\"", s.id().replace('"', "\\\""))));
            assert!(json.contains(&format!("\"metadata\":{}", s.metadata_json())), "{}: metadata", case.name);
            assert!(json.contains(&format!("\"format\":\"{}\"", s.format())));
            assert_eq!(s.message_count(), s.messages().count());
            assert!(s.messages_offset() <= s.message_count());
            for m in s.messages() {
                assert!(["system", "user", "assistant", "tool"].contains(&m.role()), "{}", m.json());
                assert!(m.json().contains(&format!("\"content\":{}", m.content_json())), "{}", m.json());
                if let Some(c) = m.content() {
                    assert!(m.content_json().starts_with('"'), "text content is a JSON string");
                    assert!(c.len() + 2 <= m.content_json().len());
                }
                for tc in m.tool_calls() {
                    assert!(m.json().contains(tc.name));
                }
            }
        }
    }
}
