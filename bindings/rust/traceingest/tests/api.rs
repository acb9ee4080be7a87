// SPDX-License-Identifier: MIT
//! The safe API: lifetimes (owned states outlive the iterator, cross
//! threads), errors as enum variants with positions, options, inputs.
mod common;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use traceingest::{Error, OpenOptions, State};

fn swe(rel: &str) -> Option<PathBuf> {
    let p = common::data().join("swe-smith").join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: fixture missing: {}", p.display());
        None
    }
}

macro_rules! need {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return,
        }
    };
}

#[test]
fn version_and_formats() {
    assert_eq!(traceingest::version_number() / 10000, 0);
    assert!(traceingest::version().starts_with("0."));
    let f = traceingest::formats();
    for n in ["claude-code", "openhands", "swe-smith"] {
        assert!(f.iter().any(|x| x == n), "{:?}", f);
    }
}

#[test]
fn probe_picks_swe_smith() {
    let p = need!(swe("mini-v1/input.traj.json"));
    let scores = traceingest::probe(&p).unwrap();
    let best = scores.iter().max_by_key(|(_, s)| *s).unwrap();
    assert_eq!(best.0, "swe-smith");
    assert!(matches!(traceingest::probe("/nonexistent/x"), Err(Error::Io(_))));
}

#[test]
fn lending_iteration_and_stats() {
    let p = need!(swe("mini-v1/input.traj.json"));
    let mut it = traceingest::open(&p).unwrap();
    let mut ids = Vec::new();
    while let Some(s) = it.next().unwrap() {
        ids.push(s.id().to_string());
        assert_eq!(s.format(), "swe-smith");
        assert_eq!(s.action().unwrap().role(), "assistant");
        assert!(!s.student_action().is_empty());
    }
    assert_eq!(ids, ["demo__z-1:0", "demo__z-1:1"]);
    assert!(it.next().unwrap().is_none(), "TI_DONE is sticky");
    assert!(it.is_done());
    assert_eq!(it.stat("states"), 2);
    assert!(it.stats_json().unwrap().contains("\"states\":2"));
    assert_eq!(it.format_name().as_deref(), Some("swe-smith"));
}

#[test]
fn owned_states_outlive_the_iterator_and_cross_threads() {
    let dir = need!(swe(""));
    let it = traceingest::open(&dir).unwrap();
    let states: Vec<State> = it.states().collect::<Result<_, _>>().unwrap();
    assert!(states.len() > 2);
    // the iterator is gone; read the states on another thread
    let handle = std::thread::spawn(move || {
        let ids: Vec<String> = states.iter().map(|s| s.id().to_string()).collect();
        let total: usize = states.iter().map(|s| s.message_count()).sum();
        let cloned: Vec<State> = states.to_vec();
        drop(states);
        assert_eq!(cloned.iter().map(|s| s.id().to_string()).collect::<Vec<_>>(), ids);
        (ids.len(), total)
    });
    let (n, total) = handle.join().unwrap();
    assert!(n > 2 && total > 0);
}

#[test]
fn iterator_moves_to_another_thread() {
    let p = need!(swe("mini-v1/input.traj.json"));
    let it = traceingest::open(&p).unwrap();
    let n = std::thread::spawn(move || it.states().count()).join().unwrap();
    assert_eq!(n, 2);
}

#[test]
fn detach_from_lending() {
    let p = need!(swe("mini-v1/input.traj.json"));
    let mut it = traceingest::open(&p).unwrap();
    let first = it.next().unwrap().unwrap().detach().unwrap();
    let second_id = it.next().unwrap().unwrap().id().to_string();
    drop(it);
    assert_eq!(first.id(), "demo__z-1:0");
    assert_eq!(second_id, "demo__z-1:1");
    assert_eq!(first.message(0).unwrap().role(), "system");
    assert!(first.message(first.message_count()).is_none());
}

#[test]
fn strict_parse_error_has_a_position() {
    let p = need!(swe("bad-rows/input.jsonl"));
    let mut it = OpenOptions::new().strict(true).open(&p).unwrap();
    assert!(it.next().unwrap().is_some());
    let e = match it.next() {
        Err(e) => e,
        Ok(_) => panic!("strict mode must fail at line 2"),
    };
    match &e {
        Error::Parse(info) => {
            assert_eq!(info.line, 2);
            assert!(info.byte_offset > 0);
            assert!(info.file.as_deref().unwrap().ends_with("bad-rows/input.jsonl"));
        }
        other => panic!("expected Error::Parse, got {:?}", other),
    }
    assert_eq!(e.code(), traceingest::sys::TI_ERR_PARSE);
    assert!(e.to_string().contains(":2: "), "{}", e);
    // fatal errors are sticky
    assert!(matches!(it.next(), Err(Error::Parse(_))));
    // the owned iterator stops after yielding the error once
    let it = OpenOptions::new().strict(true).open(&p).unwrap();
    let items: Vec<_> = it.states().collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok() && items[1].is_err());
}

#[test]
fn skipped_records_reach_the_callback() {
    let p = need!(swe("bad-rows/input.jsonl"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s2 = seen.clone();
    let it = OpenOptions::new().on_error(move |e| s2.lock().unwrap().push(e.clone())).open(&p).unwrap();
    let states = it.states();
    let n = states.count();
    assert_eq!(n, 2);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.iter().map(|e| e.line()).collect::<Vec<_>>(), [2, 3, 5]);
    assert!(seen.iter().all(|e| matches!(e, Error::Parse(_))));
}

#[test]
fn a_panicking_callback_unwinds_out_of_next() {
    let p = need!(swe("bad-rows/input.jsonl"));
    let mut it = OpenOptions::new().on_error(|_| panic!("from the callback")).open(&p).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        while it.next().unwrap().is_some() {}
    }));
    assert!(r.is_err());
}

#[test]
fn open_errors() {
    assert!(matches!(traceingest::open("/nonexistent/t.jsonl"), Err(Error::Io(_))));
    let p = need!(swe("mini-v1/input.traj.json"));
    assert!(matches!(OpenOptions::new().option("no_such_option", 1).open(&p), Err(Error::Invalid(_))));
    assert!(matches!(OpenOptions::new().format("no-such-format").open(&p), Err(Error::FormatUnknown(_))));
    assert!(matches!(OpenOptions::new().format("a\0b").open(&p), Err(Error::Invalid(_))));
    let toy = common::root().join("examples/data/toy.jsonl");
    if toy.exists() {
        assert!(matches!(traceingest::open(&toy), Err(Error::FormatUnknown(_))));
    }
}

#[test]
fn options_change_the_output() {
    let p = need!(swe("retry-attempts-all/input.traj"));
    let ids = |o: &mut OpenOptions| -> Vec<String> {
        o.open(&p).unwrap().states().map(|s| s.unwrap().id().to_string()).collect()
    };
    let best = ids(&mut OpenOptions::new());
    let all = ids(OpenOptions::new().option("attempts", "all"));
    assert!(all.len() > best.len(), "{:?} vs {:?}", all, best);
    let mut raw = OpenOptions::new();
    raw.raw_option("attempts=all");
    assert_eq!(ids(&mut raw), all);
}

#[test]
fn memory_and_fd_inputs_match_the_path() {
    use std::os::unix::io::AsRawFd;
    let p = need!(swe("mini-v1/input.traj.json"));
    let want: Vec<String> =
        traceingest::open(&p).unwrap().states().map(|s| s.unwrap().id().to_string()).collect();
    let bytes = std::fs::read(&p).unwrap();
    let got: Vec<String> = OpenOptions::new()
        .format("swe-smith")
        .open_bytes(bytes)
        .unwrap()
        .states()
        .map(|s| s.unwrap().id().to_string())
        .collect();
    assert_eq!(got, want);
    let f = std::fs::File::open(&p).unwrap();
    let got: Vec<String> = OpenOptions::new()
        .format("swe-smith")
        .open_fd(f.as_raw_fd())
        .unwrap()
        .states()
        .map(|s| s.unwrap().id().to_string())
        .collect();
    assert_eq!(got, want);
}

#[test]
fn threads_give_the_same_states() {
    let dir = need!(swe(""));
    let one: Vec<String> =
        traceingest::open(&dir).unwrap().states().map(|s| s.unwrap().to_json(false).unwrap()).collect();
    let four: Vec<String> = OpenOptions::new()
        .threads(4)
        .open(&dir)
        .unwrap()
        .states()
        .map(|s| s.unwrap().to_json(false).unwrap())
        .collect();
    assert_eq!(one, four);
}

/// A Claude Code session of `turns` turns: user contents "q<i> <pad>",
/// assistant texts "r<i> <reply>".
fn session_text(turns: usize, pad: &str, reply: &str) -> String {
    let env = r#""sessionId":"big","cwd":"/w","timestamp":"2026-03-02T10:00:00Z""#;
    let mut text = String::new();
    for i in 1..=turns {
        let par = if i > 1 { format!("\"a{}\"", i - 1) } else { "null".to_string() };
        text += &format!(
            r#"{{"type":"user","parentUuid":{par},"uuid":"u{i}",{env},"message":{{"role":"user","content":"q{i} {pad}"}}}}"#
        );
        text += "\n";
        text += &format!(
            r#"{{"type":"assistant","parentUuid":"u{i}","uuid":"a{i}",{env},"message":{{"model":"m","id":"msg_{i}","role":"assistant","content":[{{"type":"text","text":"r{i} {reply}"}}]}}}}"#
        );
        text += "\n";
    }
    text
}

#[test]
fn mapped_big_session_matches_read_and_outlives_the_iterator() {
    // over 4 MiB: mmap(true) maps it and leaves the contents in the file
    let pad = "y".repeat(3000);
    let text = session_text(800, &pad, &pad);
    let dir = std::env::temp_dir().join(format!("ti-rust-map-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("s.jsonl");
    std::fs::write(&p, &text).unwrap();
    assert!(text.len() > 4 << 20);
    let mut got = Vec::new();
    for mapped in [false, true] {
        let states: Vec<State> = OpenOptions::new()
            .mmap(mapped)
            .open(&p)
            .unwrap()
            .states()
            .collect::<Result<_, _>>()
            .unwrap();
        // the iterator is gone: the states still read the mapped contents
        got.push(states.iter().map(|s| s.to_json(true).unwrap()).collect::<Vec<_>>());
    }
    // the library's writer: the same lines, the mapped contents written
    // from the mapping
    let out = dir.join("out.jsonl");
    let f = std::fs::File::create(&out).unwrap();
    let mut it = OpenOptions::new().mmap(true).open(&p).unwrap();
    assert_eq!(it.write_jsonl(&f, true).unwrap(), 800);
    assert!(it.next().unwrap().is_none());
    drop(f);
    let written = std::fs::read_to_string(&out).unwrap();
    assert_eq!(written, got[1].iter().map(|l| format!("{l}\n")).collect::<String>());
    // a descriptor not open for writing: Error::Io with the OS error
    let ro = std::fs::File::open(&out).unwrap();
    let mut it = OpenOptions::new().open(&p).unwrap();
    match it.write_jsonl(&ro, true) {
        Err(Error::Io(info)) => assert!(info.message.contains("Bad file descriptor"), "{}", info.message),
        other => panic!("{:?}", other.map(|_| ())),
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(got[0].len(), 800);
    assert_eq!(got[0], got[1]);
}

#[test]
fn write_jsonl_with_threads_writes_the_same() {
    let dir = std::env::temp_dir().join(format!("ti-rust-walk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut total = 0u64;
    for k in 0..10 {
        let turns = 1 + (k * 5) % 17;
        let text = session_text(turns, &"z".repeat(50 + 7000 * (k % 3)), &k.to_string());
        std::fs::write(dir.join(format!("s{k:02}.jsonl")), &text).unwrap();
        total += turns as u64;
    }
    let mut outs = Vec::new();
    for threads in [0u32, 2, 3] {
        let out = std::env::temp_dir().join(format!("ti-rust-walk-{}-{threads}.jsonl", std::process::id()));
        let f = std::fs::File::create(&out).unwrap();
        let mut it = OpenOptions::new().threads(threads).open(&dir).unwrap();
        assert_eq!(it.write_jsonl(&f, true).unwrap(), total);
        assert!(it.next().unwrap().is_none());
        drop(f);
        outs.push(std::fs::read(&out).unwrap());
        std::fs::remove_file(&out).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(outs[0].len() > 100_000);
    assert_eq!(outs[1], outs[0]);
    assert_eq!(outs[2], outs[0]);
}

#[test]
fn options_with_a_callback_open_twice() {
    let p = need!(swe("bad-rows/input.jsonl"));
    let seen = Arc::new(Mutex::new(0usize));
    let s2 = seen.clone();
    let mut o = OpenOptions::new();
    o.on_error(move |_| *s2.lock().unwrap() += 1);
    assert_eq!(o.open(&p).unwrap().states().count(), 2);
    assert_eq!(o.open(&p).unwrap().states().count(), 2);
    assert_eq!(*seen.lock().unwrap(), 6);
}

#[test]
fn display_names_the_file_once() {
    let e = match traceingest::open("/nonexistent/t.jsonl") {
        Err(e) => e,
        Ok(_) => panic!("opened a missing file"),
    };
    let text = e.to_string();
    assert_eq!(text.matches("/nonexistent/t.jsonl").count(), 1, "{}", text);
}

#[test]
fn owned_iterator_of_plain_states() {
    let p = need!(swe("bad-rows/input.jsonl"));
    let mut it = OpenOptions::new().strict(true).open(&p).unwrap().owned();
    let states: Vec<State> = it.by_ref().collect();
    assert_eq!(states.len(), 1);
    assert!(matches!(it.error(), Some(Error::Parse(_))));
    assert!(it.finish().is_err());
    let mut it = traceingest::open(&p).unwrap().owned();
    assert_eq!(it.by_ref().count(), 2);
    assert_eq!(it.inner().stat("skipped"), 3);
    assert!(it.finish().is_ok());
}
