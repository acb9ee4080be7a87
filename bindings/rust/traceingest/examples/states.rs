// SPDX-License-Identifier: MIT
// cargo run --example states -- PATH   (the ten-line example of docs/bindings.md)
fn main() -> Result<(), traceingest::Error> {
    let path = std::env::args().nth(1).expect("usage: states PATH");
    let mut opts = traceingest::OpenOptions::new();
    opts.option("subagents", true); // format options; booleans become 1/0
    let mut it = opts.open(&path)?;
    while let Some(state) = it.next()? { // borrowed until the next call
        let last = state.messages().last().map_or("-", |m| m.role());
        let text = state.student_action().lines().next().unwrap_or("");
        println!("{}: {} messages (last: {}), then: {:?}", state.id(), state.message_count(), last, text);
    }
    let owned: Vec<traceingest::State> = opts.open(&path)?.states().collect::<Result<_, _>>()?;
    println!("{} detached states outlive their iterator", owned.len());
    Ok(())
}
