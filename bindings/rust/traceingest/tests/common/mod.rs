// SPDX-License-Identifier: MIT
//! Fixture discovery shared by the integration tests. Environment (meson
//! sets them): TRACEINGEST_SOURCE_ROOT (default: three levels above this
//! crate), TRACEINGEST_CLI (default <root>/build/tools/traceingest).
#![allow(dead_code)]
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    match std::env::var_os("TRACEINGEST_SOURCE_ROOT") {
        Some(r) => PathBuf::from(r),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.."),
    }
}

pub fn cli() -> Option<PathBuf> {
    let p = match std::env::var_os("TRACEINGEST_CLI") {
        Some(p) => PathBuf::from(p),
        None => root().join("build/tools/traceingest"),
    };
    if p.is_file() {
        Some(p)
    } else {
        None
    }
}

pub fn data() -> PathBuf {
    root().join("tests/data")
}

pub struct Case {
    pub name: String,
    pub input: PathBuf,
    pub format: Option<String>,
    pub strict: bool,
    pub options: Vec<String>,
}

impl Case {
    pub fn open_options(&self) -> traceingest::OpenOptions {
        let mut o = traceingest::OpenOptions::new();
        if let Some(f) = &self.format {
            o.format(f);
        }
        o.strict(self.strict);
        for kv in &self.options {
            o.raw_option(kv);
        }
        o
    }

    pub fn cli_args(&self) -> Vec<String> {
        let mut a = vec!["-q".to_string()];
        if let Some(f) = &self.format {
            a.push("-f".into());
            a.push(f.clone());
        }
        if self.strict {
            a.push("-s".into());
        }
        for kv in &self.options {
            a.push("-o".into());
            a.push(kv.clone());
        }
        a
    }
}

fn sorted_dir(p: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = match fs::read_dir(p) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// tests/data/<format>/<case>/input[.*] (with the case's `options` file)
/// and the inputs of examples/data.
pub fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for fmt in sorted_dir(&data()) {
        for case in sorted_dir(&fmt) {
            let input = sorted_dir(&case).into_iter().find(|p| {
                let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                n == "input" || n.starts_with("input.")
            });
            let input = match input {
                Some(i) => i,
                None => continue,
            };
            let mut c = Case {
                name: case.strip_prefix(root()).unwrap_or(&case).display().to_string(),
                input,
                format: None,
                strict: false,
                options: Vec::new(),
            };
            if let Ok(text) = fs::read_to_string(case.join("options")) {
                for line in text.split('\n') {
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    if let Some(f) = line.strip_prefix("format=") {
                        c.format = Some(f.to_string());
                    } else if line == "strict=1" {
                        c.strict = true;
                    } else {
                        c.options.push(line.to_string());
                    }
                }
            }
            out.push(c);
        }
    }
    for p in sorted_dir(&root().join("examples/data")) {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        if p.is_file() && !n.contains(".expected.") {
            out.push(Case { name: n, input: p, format: None, strict: false, options: Vec::new() });
        }
    }
    out
}

/// (exit status, stdout lines) of the C tool.
pub fn run_cli(cli: &Path, args: &[String], input: &Path) -> (i32, Vec<String>) {
    let out = Command::new(cli).args(args).arg(input).output().expect("run the CLI");
    let text = String::from_utf8(out.stdout).expect("CLI output is UTF-8");
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    assert_eq!(lines.pop().as_deref(), Some(""), "CLI output ends in a newline");
    (out.status.code().unwrap_or(-1), lines)
}
