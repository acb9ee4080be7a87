// SPDX-License-Identifier: MIT
//! Finds libtraceingest without any crates.io dependency:
//!
//! 1. `TRACEINGEST_LIB_DIR=<dir holding libtraceingest.so>` (e.g. a meson
//!    build's `lib/`), or
//! 2. the `pkg-config` program (`$PKG_CONFIG`, default `pkg-config`) on
//!    module `traceingest`; for an in-tree build set
//!    `PKG_CONFIG_PATH=<build>/meson-uninstalled`.
//!
//! The library is linked dynamically; at run time it is found by the usual
//! loader rules (`LD_LIBRARY_PATH=<build>/lib` for an uninstalled build).
use std::env;
use std::process::Command;

const MIN_VERSION: (u32, u32, u32) = (0, 1, 0);

fn pkg_config(args: &[&str]) -> Result<String, String> {
    let prog = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let out = Command::new(&prog)
        .args(args)
        .arg("traceingest")
        .output()
        .map_err(|e| format!("cannot run {}: {}", prog, e))?;
    if !out.status.success() {
        return Err(format!(
            "{} {} traceingest failed: {}",
            prog,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn parse_version(v: &str) -> Option<(u32, u32, u32)> {
    let mut it = v.split('.').map(|p| p.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().unwrap_or(Some(0))?))
}

fn main() {
    for var in ["TRACEINGEST_LIB_DIR", "PKG_CONFIG_PATH", "PKG_CONFIG", "PKG_CONFIG_LIBDIR"] {
        println!("cargo:rerun-if-env-changed={}", var);
    }
    println!("cargo:rerun-if-changed=build.rs");

    if let Ok(dir) = env::var("TRACEINGEST_LIB_DIR") {
        println!("cargo:rustc-link-search=native={}", dir);
        println!("cargo:rustc-link-lib=dylib=traceingest");
        println!("cargo:lib_dir={}", dir);
        return;
    }

    let version = match pkg_config(&["--modversion"]) {
        Ok(v) => v,
        Err(e) => panic!(
            "\n\nlibtraceingest not found: {}\n\
             Set TRACEINGEST_LIB_DIR to the directory holding libtraceingest.so, or\n\
             PKG_CONFIG_PATH to a directory with traceingest.pc (for a meson build:\n\
             <build>/meson-uninstalled).\n\n",
            e
        ),
    };
    match parse_version(&version) {
        Some(v) if v.0 == MIN_VERSION.0 && v >= MIN_VERSION => {}
        _ => panic!(
            "libtraceingest {} found by pkg-config; traceingest-sys needs {}.x >= {}.{}.{}",
            version, MIN_VERSION.0, MIN_VERSION.0, MIN_VERSION.1, MIN_VERSION.2
        ),
    }
    let libs = pkg_config(&["--libs"]).unwrap_or_else(|e| panic!("{}", e));
    let mut linked = false;
    for flag in libs.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
            println!("cargo:lib_dir={}", dir);
        } else if let Some(name) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib=dylib={}", name);
            linked |= name == "traceingest";
        }
    }
    if !linked {
        println!("cargo:rustc-link-lib=dylib=traceingest");
    }
    println!("cargo:version={}", version);
}
