//! The architecture's rules, checked on the source (ARCHITECTURE.md states them):
//! - no import cycle between the files of one crate;
//! - no function over 120 lines in the CLI (`src/`) or the service (`service/src/`);
//! - a statement's name is spelled as a string literal in at most two non-test source files
//!   (the registry, `core::statement`, is the one place).
//!
//! How the import graph is read: every file of a crate is a module (found from `lib.rs` or
//! `main.rs` through its `mod` declarations); a file depends on another if it names that
//! module or an item in it — by a `use` (trees expanded), or by a `crate::…`, `super::…`,
//! `self::…` or child-module path in the code. `mod` declarations themselves are not
//! dependencies, and `#[cfg(test)]` modules at the end of a file are left out (tests may look
//! anywhere).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The crates: (name, source directory, root file).
const CRATES: &[(&str, &str, &str)] = &[
    ("healthzk", "src", "main.rs"),
    ("healthzk-core", "core/src", "lib.rs"),
    ("healthzk-circuits", "circuits/src", "lib.rs"),
    ("healthzk-prover", "prover/src", "lib.rs"),
    ("healthzk-verifier", "verifier/src", "lib.rs"),
    ("healthzk-anchor", "anchor/src", "lib.rs"),
    ("healthzk-service", "service/src", "lib.rs"),
    ("healthzk-durable", "durable/src", "lib.rs"),
    ("healthzk-fuzz", "fuzz/src", "lib.rs"),
];

struct Module {
    path: Vec<String>,
    file: PathBuf,
    /// The file's text without its trailing `#[cfg(test)]` module.
    code: String,
    /// Child modules declared in this file (`mod x;`).
    children: Vec<String>,
}

/// The text without its trailing test module and without comments (a path in a doc comment
/// is not a dependency).
fn without_tests(text: &str) -> String {
    let code = match text.find("\n#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    code.lines().map(strip_comment).collect::<Vec<_>>().join("\n")
}

/// A line without its `//` comment (one outside a string literal).
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    let mut in_str = false;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
        i += 1;
    }
    line
}

/// `mod x;` declarations (with any attributes or visibility before them).
fn declared_children(code: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut path_attr = None;
    for line in code.lines() {
        let t = line.trim();
        if let Some(p) = t.strip_prefix("#[path = \"").and_then(|r| r.strip_suffix("\"]")) {
            path_attr = Some(p.to_string());
            continue;
        }
        let t = t.strip_prefix("pub(crate) ").or_else(|| t.strip_prefix("pub ")).unwrap_or(t);
        if let Some(name) = t.strip_prefix("mod ").and_then(|r| r.strip_suffix(';')) {
            out.push((name.trim().to_string(), path_attr.take()));
        } else if !t.starts_with("#[") {
            path_attr = None;
        }
    }
    out
}

fn load(dir: &Path, file: PathBuf, path: Vec<String>, out: &mut Vec<Module>) {
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let code = without_tests(&text);
    let children = declared_children(&code);
    // Where this module's children live: beside a root/mod.rs, else in a folder of its name.
    let is_dir_owner = matches!(file.file_name().and_then(|f| f.to_str()), Some("lib.rs" | "main.rs" | "mod.rs"));
    let child_dir = if is_dir_owner { file.parent().unwrap().to_path_buf() } else { file.with_extension("") };
    out.push(Module {
        path: path.clone(),
        file: file.clone(),
        code,
        children: children.iter().map(|c| c.0.clone()).collect(),
    });
    for (name, attr) in children {
        let f = match attr {
            Some(p) => file.parent().unwrap().join(p),
            None => {
                let a = child_dir.join(format!("{name}.rs"));
                if a.exists() {
                    a
                } else {
                    child_dir.join(&name).join("mod.rs")
                }
            }
        };
        if !f.starts_with(dir) {
            continue; // shared test support outside the crate
        }
        let mut p = path.clone();
        p.push(name);
        load(dir, f, p, out);
    }
}

/// Expands a `use` tree (`a::{b, c::{d, e}}`) into paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    match tree.find('{') {
        None => {
            let p = tree.split(" as ").next().unwrap().trim();
            vec![p.strip_suffix("::self").unwrap_or(p).to_string()]
        }
        Some(open) => {
            let prefix = tree[..open].trim_end_matches("::").trim();
            let inner = &tree[open + 1..tree.rfind('}').expect("balanced use tree")];
            let mut parts = Vec::new();
            let (mut depth, mut start) = (0, 0);
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&inner[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&inner[start..]);
            parts
                .into_iter()
                .filter(|p| !p.trim().is_empty())
                .flat_map(expand)
                .map(|p| {
                    if prefix.is_empty() {
                        p
                    } else if p == "self" {
                        prefix.to_string()
                    } else {
                        format!("{prefix}::{p}")
                    }
                })
                .collect()
        }
    }
}

/// Every path this module's code names that could be a module of the crate, as segments.
fn referenced_paths(m: &Module) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code = &m.code;
    // `use` statements: lines starting with `use` (after any visibility), to their `;`.
    let mut stmt: Option<String> = None;
    for line in code.lines() {
        let t = line.trim();
        let t = ["pub(crate) ", "pub(super) ", "pub "].iter().fold(t, |s, p| s.strip_prefix(p).unwrap_or(s));
        match &mut stmt {
            Some(acc) => acc.push_str(t),
            None if t.starts_with("use ") => stmt = Some(t[4..].to_string()),
            None => continue,
        }
        if stmt.as_ref().is_some_and(|a| a.ends_with(';')) {
            let tree = stmt.take().unwrap();
            for p in expand(tree.trim_end_matches(';')) {
                out.push(p.split("::").map(|s| s.trim().to_string()).collect());
            }
        }
    }
    // Paths in code: `crate::…`, `super::…`, `self::…`, and child modules `child::…`.
    let bytes = code.as_bytes();
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if is_ident(bytes[i]) && (i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b':')) {
            let start = i;
            let mut segs = Vec::new();
            let mut j = i;
            loop {
                let s = j;
                while j < bytes.len() && is_ident(bytes[j]) {
                    j += 1;
                }
                segs.push(code[s..j].to_string());
                if code[j..].starts_with("::") && bytes.get(j + 2).is_some_and(|c| is_ident(*c)) {
                    j += 2;
                } else {
                    break;
                }
            }
            if segs.len() > 1
                && (["crate", "super", "self"].contains(&segs[0].as_str()) || m.children.contains(&segs[0]))
            {
                out.push(segs);
            }
            i = j.max(start + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The module a path names: relative to `m`, longest known prefix.
fn resolve(m: &Module, segs: &[String], known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut base: Vec<String> = match segs.first()?.as_str() {
        "crate" => vec![],
        "super" => {
            let mut p = m.path.clone();
            let mut k = 0;
            while segs.get(k).is_some_and(|s| s == "super") {
                p.pop()?;
                k += 1;
            }
            return longest(p, &segs[k..], known);
        }
        "self" => m.path.clone(),
        s if m.children.iter().any(|c| c == s) => {
            let mut p = m.path.clone();
            p.push(s.to_string());
            return longest(p, &segs[1..], known);
        }
        _ => return None,
    };
    if segs[0] == "crate" || segs[0] == "self" {
        return longest(std::mem::take(&mut base), &segs[1..], known);
    }
    None
}

fn longest(mut base: Vec<String>, rest: &[String], known: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut best = known.contains(&base).then(|| base.clone());
    for s in rest {
        base.push(s.clone());
        if known.contains(&base) {
            best = Some(base.clone());
        }
    }
    best
}

fn modules_of(dir: &str, root: &str) -> Vec<Module> {
    let dir = Path::new(ROOT).join(dir);
    let mut out = Vec::new();
    load(&dir, dir.join(root), vec![], &mut out);
    out
}

/// Cycles of the graph, each as a list of files (empty if there is none).
fn cycles(modules: &[Module]) -> Vec<Vec<String>> {
    let known: BTreeSet<Vec<String>> = modules.iter().map(|m| m.path.clone()).collect();
    let index: BTreeMap<Vec<String>, usize> = modules.iter().enumerate().map(|(i, m)| (m.path.clone(), i)).collect();
    let edges: Vec<BTreeSet<usize>> = modules
        .iter()
        .map(|m| {
            referenced_paths(m)
                .iter()
                .filter_map(|p| resolve(m, p, &known))
                .map(|p| index[&p])
                .filter(|&j| modules[j].path != m.path)
                .collect()
        })
        .collect();
    // Depth-first search for back edges.
    let mut state = vec![0u8; modules.len()];
    let mut stack = Vec::new();
    let mut found = Vec::new();
    fn dfs(v: usize, edges: &[BTreeSet<usize>], state: &mut [u8], stack: &mut Vec<usize>, found: &mut Vec<Vec<usize>>) {
        state[v] = 1;
        stack.push(v);
        for &w in &edges[v] {
            if state[w] == 1 {
                let at = stack.iter().position(|&x| x == w).unwrap();
                found.push(stack[at..].to_vec());
            } else if state[w] == 0 {
                dfs(w, edges, state, stack, found);
            }
        }
        stack.pop();
        state[v] = 2;
    }
    for v in 0..modules.len() {
        if state[v] == 0 {
            dfs(v, &edges, &mut state, &mut stack, &mut found);
        }
    }
    let name = |i: usize| modules[i].file.strip_prefix(ROOT).unwrap_or(&modules[i].file).display().to_string();
    found.into_iter().map(|c| c.into_iter().map(name).collect()).collect()
}

#[test]
fn no_import_cycle_between_the_files_of_a_crate() {
    let mut all = Vec::new();
    for (name, dir, root) in CRATES {
        let modules = modules_of(dir, root);
        let single_file = ["healthzk-durable", "healthzk-fuzz"];
        assert!(modules.len() > 1 || single_file.contains(name), "{name}: only {} module(s) found", modules.len());
        for c in cycles(&modules) {
            all.push(format!("{name}: {}", c.join(" → ")));
        }
    }
    assert!(all.is_empty(), "import cycles:\n{}", all.join("\n"));
}

/// The checker finds a cycle when there is one (it can fail).
#[test]
fn the_cycle_checker_sees_a_cycle() {
    let m = |path: &[&str], code: &str, children: &[&str]| Module {
        path: path.iter().map(|s| s.to_string()).collect(),
        file: PathBuf::from(format!("{}.rs", path.join("/"))),
        code: code.to_string(),
        children: children.iter().map(|s| s.to_string()).collect(),
    };
    let modules = vec![
        m(&[], "mod a;\nmod b;\n", &["a", "b"]),
        m(&["a"], "use crate::b::{self, Thing};\n", &[]),
        m(&["b"], "fn f() { super::a::g() }\n", &[]),
    ];
    assert_eq!(cycles(&modules), vec![vec!["a.rs".to_string(), "b.rs".to_string()]]);
    let acyclic =
        vec![m(&[], "mod a;\nmod b;\n", &["a", "b"]), m(&["a"], "use crate::b::X;\n", &[]), m(&["b"], "", &[])];
    assert!(cycles(&acyclic).is_empty());
    assert_eq!(
        expand("crate::{a, b::{c, d as e}, f::self}"),
        vec!["crate::a", "crate::b::c", "crate::b::d", "crate::f"]
    );
}

/// Functions of a rustfmt-formatted file: (name, first line, line count).
fn functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let indent = line.len() - t.len();
        let sig = ["pub(crate) ", "pub ", "async ", "const ", "unsafe "]
            .iter()
            .fold(t, |s, p| s.strip_prefix(p).unwrap_or(s));
        let sig = sig.strip_prefix("async ").unwrap_or(sig);
        let Some(rest) = sig.strip_prefix("fn ") else { continue };
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        // The body ends at the first later line that is `}` at the same indentation.
        let close = format!("{}}}", " ".repeat(indent));
        if line.trim_end().ends_with(';') {
            continue; // a declaration in a trait
        }
        if let Some(end) = lines[i..].iter().position(|l| l.trim_end() == close) {
            out.push((name, i + 1, end + 1));
        }
    }
    out
}

#[test]
fn no_function_in_the_cli_or_the_service_is_over_120_lines() {
    let mut long = Vec::new();
    for dir in ["src", "service/src"] {
        for m in modules_of(dir, if dir == "src" { "main.rs" } else { "lib.rs" }) {
            for (name, line, n) in functions(&m.code) {
                if n > 120 {
                    long.push(format!("{}:{line} {name}: {n} lines", m.file.strip_prefix(ROOT).unwrap().display()));
                }
            }
        }
    }
    assert!(long.is_empty(), "functions over 120 lines:\n{}", long.join("\n"));
    let sample = "fn a() {\n    x();\n}\n\npub(crate) async fn b(\n    y: u8,\n) {\n    z();\n    w();\n}\n";
    assert_eq!(functions(sample), vec![("a".to_string(), 1, 3), ("b".to_string(), 5, 6)]);
}

#[test]
fn statement_names_are_spelled_in_at_most_two_source_files() {
    let mut files = BTreeSet::new();
    for (_, dir, root) in CRATES {
        for m in modules_of(dir, root) {
            if m.code.contains("\"credential-query") || m.code.contains("\"score-threshold") {
                files.insert(m.file.strip_prefix(ROOT).unwrap().display().to_string());
            }
        }
    }
    assert!(files.len() <= 2, "statement names as literals in {} files: {files:?}", files.len());
    assert!(files.contains("core/src/statement.rs"), "the registry spells them: {files:?}");
}
