//! The crate's modules have no import cycles: at every level of the module tree, the
//! dependencies between sibling modules are acyclic.
//!
//! Every `.rs` file under `src/` is parsed with syn, the module tree is built from `src/lib.rs`
//! and its `mod` declarations (files and inline blocks; `#[cfg(test)]` items are skipped), and
//! every path that starts with `crate::`, `super::` or `self::` is an edge: in `use` items, in
//! expressions, types and patterns, and in the token streams of macro calls (`format!` args…).
//! Attributes, doc comments included, and visibilities (`pub(crate)`) are not. A path names the
//! deepest module it goes through: `crate::read::format_number` names `crate::read`.
//!
//! An edge from module A to module B is an edge X → Y between the children X and Y of their
//! lowest common ancestor that contain them. A module using its ancestors (`super::Observation`
//! from `validate/duplicates.rs`) or its descendants is not a sibling edge: a parent is the facade
//! of its children. The checker itself is tested on small crates written here, so that it cannot
//! pass by seeing nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};

/// A module by its path below the crate root: `[]` is `crate`, `["read", "worker"]` is
/// `crate::read::worker`.
type ModPath = Vec<String>;

/// A path in the code of module `from` that names module `to`.
#[derive(Clone, Debug)]
struct Ref {
    from: ModPath,
    to: ModPath,
    file: String,
    line: usize,
    /// The path as written, e.g. `use crate::state::STATE_PATH` or `crate::run::CURRENT`.
    text: String,
}

/// A path as collected, before the module tree is complete and it can be resolved.
struct RawRef {
    from: ModPath,
    segments: Vec<String>,
    file: String,
    line: usize,
    text: String,
}

/// A strongly connected set of sibling modules, the children of `parent`.
struct Cycle {
    parent: ModPath,
    members: Vec<String>,
    /// Every edge between two members, with the paths that make it.
    edges: Vec<(String, String, Vec<Ref>)>,
}

struct Analysis {
    /// Every module, with the file that holds its code.
    modules: BTreeMap<ModPath, String>,
    /// Every path from one module to another.
    refs: Vec<Ref>,
    /// Files that do not parse, `mod` declarations without a file, files outside the tree…
    problems: Vec<String>,
    cycles: Vec<Cycle>,
}

fn display(module: &[String]) -> String {
    if module.is_empty() { "crate".to_owned() } else { format!("crate::{}", module.join("::")) }
}

fn line_of(span: Span) -> usize {
    span.start().line
}

/// `#[cfg(test)]`, or `#[cfg(all(test, …))]`: the item is only compiled for unit tests.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    fn implies_test(meta: &syn::Meta) -> bool {
        match meta {
            syn::Meta::Path(p) => p.is_ident("test"),
            syn::Meta::List(list) if list.path.is_ident("all") => list
                .parse_args_with(syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                .is_ok_and(|args| args.iter().any(implies_test)),
            _ => false,
        }
    }
    attrs.iter().any(|a| a.path().is_ident("cfg") && a.parse_args::<syn::Meta>().is_ok_and(|m| implies_test(&m)))
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    match item {
        syn::Item::Const(i) => &i.attrs,
        syn::Item::Enum(i) => &i.attrs,
        syn::Item::ExternCrate(i) => &i.attrs,
        syn::Item::Fn(i) => &i.attrs,
        syn::Item::ForeignMod(i) => &i.attrs,
        syn::Item::Impl(i) => &i.attrs,
        syn::Item::Macro(i) => &i.attrs,
        syn::Item::Mod(i) => &i.attrs,
        syn::Item::Static(i) => &i.attrs,
        syn::Item::Struct(i) => &i.attrs,
        syn::Item::Trait(i) => &i.attrs,
        syn::Item::TraitAlias(i) => &i.attrs,
        syn::Item::Type(i) => &i.attrs,
        syn::Item::Union(i) => &i.attrs,
        syn::Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

fn starts_a_path(first: &str) -> bool {
    matches!(first, "crate" | "super" | "self")
}

/// Walks the files of a crate from its root, building the module tree and collecting paths.
struct Collector<'f> {
    files: &'f BTreeMap<String, String>,
    module: ModPath,
    /// The file being walked.
    file: String,
    /// The directory of the files of the current module's `mod x;` children.
    dir: String,
    /// How many inline `mod x { … }` blocks of the current file enclose the code being walked.
    inline_depth: usize,
    modules: BTreeMap<ModPath, String>,
    /// The files of `#[cfg(test)] mod x;` declarations: not part of the tree, not strays.
    test_files: BTreeSet<String>,
    raw: Vec<RawRef>,
    problems: Vec<String>,
}

impl Collector<'_> {
    fn add(&mut self, segments: Vec<String>, span: Span, text: String) {
        self.raw.push(RawRef {
            from: self.module.clone(),
            segments,
            file: self.file.clone(),
            line: line_of(span),
            text,
        });
    }

    /// The file of `mod name;` declared here: `#[path]`, or `dir/name.rs`, or `dir/name/mod.rs`.
    fn module_file(&mut self, m: &syn::ItemMod) -> Option<String> {
        let name = m.ident.to_string();
        let path_attr = m.attrs.iter().find(|a| a.path().is_ident("path")).and_then(|a| match &a.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }),
                ..
            }) => Some(s.value()),
            _ => None,
        });
        if let Some(path) = path_attr {
            let base = if self.inline_depth == 0 {
                self.file.rsplit_once('/').map_or("", |(dir, _)| dir).to_owned()
            } else {
                self.dir.clone()
            };
            return Some(format!("{base}/{path}"));
        }
        let candidates = [format!("{}/{name}.rs", self.dir), format!("{}/{name}/mod.rs", self.dir)];
        let found: Vec<&String> = candidates.iter().filter(|c| self.files.contains_key(*c)).collect();
        match found.as_slice() {
            [one] => Some((*one).clone()),
            [] => {
                self.problems.push(format!(
                    "{}:{}: `mod {name};` has no file: neither {} nor {}",
                    self.file,
                    line_of(m.ident.span()),
                    candidates[0],
                    candidates[1]
                ));
                None
            }
            _ => {
                self.problems.push(format!(
                    "{}:{}: `mod {name};` has two files: {} and {}",
                    self.file,
                    line_of(m.ident.span()),
                    candidates[0],
                    candidates[1]
                ));
                None
            }
        }
    }

    /// Walk `file` as the code of module `module`.
    fn walk_file(&mut self, module: ModPath, file: String) {
        let Some(source) = self.files.get(&file) else {
            self.problems.push(format!("{file}: no such file (the module {})", display(&module)));
            return;
        };
        let ast = match syn::parse_file(source) {
            Ok(ast) => ast,
            Err(e) => {
                self.problems.push(format!("{file}:{}: does not parse: {e}", line_of(e.span())));
                return;
            }
        };
        // `lib.rs` and `mod.rs` keep their children beside them; `a.rs` keeps them in `a/`.
        let dir = match file.rsplit_once('/') {
            Some((dir, "lib.rs" | "main.rs" | "mod.rs")) => dir.to_owned(),
            _ => file.trim_end_matches(".rs").to_owned(),
        };
        self.modules.insert(module.clone(), file.clone());
        let saved = (
            std::mem::replace(&mut self.module, module),
            std::mem::replace(&mut self.file, file),
            std::mem::replace(&mut self.dir, dir),
            std::mem::replace(&mut self.inline_depth, 0),
        );
        self.visit_file(&ast);
        (self.module, self.file, self.dir, self.inline_depth) = saved;
    }

    fn use_tree(&mut self, tree: &syn::UseTree, prefix: &mut Vec<String>) {
        let leaf = |prefix: &[String], ident: &syn::Ident| {
            let mut segments = prefix.to_vec();
            // `use crate::a::{self, b}`: the `self` is `crate::a`.
            if ident != "self" {
                segments.push(ident.to_string());
            }
            segments
        };
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(&p.tree, prefix);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.use_leaf(leaf(prefix, &n.ident), n.ident.span(), ""),
            syn::UseTree::Rename(r) => self.use_leaf(leaf(prefix, &r.ident), r.ident.span(), ""),
            syn::UseTree::Glob(g) => self.use_leaf(prefix.clone(), g.star_token.spans[0], "::*"),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(tree, prefix);
                }
            }
        }
    }

    fn use_leaf(&mut self, segments: Vec<String>, span: Span, suffix: &str) {
        if segments.first().is_some_and(|s| starts_a_path(s)) {
            let text = format!("use {}{suffix}", segments.join("::"));
            self.add(segments, span, text);
        }
    }

    /// Find `crate :: a :: b`, `$crate :: a`, `super :: a`, `self :: a` in a macro's tokens.
    fn scan_tokens(&mut self, tokens: TokenStream) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let is_colon = |i: usize| matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        let path_sep = |i: usize| {
            matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
                && is_colon(i + 1)
        };
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(g) => self.scan_tokens(g.stream()),
                TokenTree::Ident(first) if starts_a_path(&first.to_string()) && !(i > 0 && is_colon(i - 1)) => {
                    let mut segments = vec![first.to_string()];
                    let mut next = i + 1;
                    while path_sep(next) {
                        let Some(TokenTree::Ident(segment)) = tokens.get(next + 2) else { break };
                        segments.push(segment.to_string());
                        next += 3;
                    }
                    if segments.len() > 1 {
                        let dollar = i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '$');
                        let text = format!("{}{}", if dollar { "$" } else { "" }, segments.join("::"));
                        self.add(segments, first.span(), text);
                        i = next;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        if is_cfg_test(item_attrs(item)) {
            if let syn::Item::Mod(m) = item
                && m.content.is_none()
                && let Some(file) = self.module_file(m)
            {
                self.test_files.insert(file);
            }
            return;
        }
        visit::visit_item(self, item);
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        let attrs = match item {
            syn::ImplItem::Const(i) => &i.attrs,
            syn::ImplItem::Fn(i) => &i.attrs,
            syn::ImplItem::Type(i) => &i.attrs,
            syn::ImplItem::Macro(i) => &i.attrs,
            _ => return visit::visit_impl_item(self, item),
        };
        if !is_cfg_test(attrs) {
            visit::visit_impl_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let mut module = self.module.clone();
        module.push(m.ident.to_string());
        match &m.content {
            Some((_, items)) => {
                self.modules.insert(module.clone(), self.file.clone());
                let dir = format!("{}/{}", self.dir, m.ident);
                let saved = (std::mem::replace(&mut self.module, module), std::mem::replace(&mut self.dir, dir));
                self.inline_depth += 1;
                for item in items {
                    self.visit_item(item);
                }
                self.inline_depth -= 1;
                (self.module, self.dir) = saved;
            }
            None => {
                if let Some(file) = self.module_file(m) {
                    self.walk_file(module, file);
                }
            }
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        if u.leading_colon.is_none() {
            self.use_tree(&u.tree, &mut Vec::new());
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        // A lone `self` is a receiver; a lone `crate` or `super` an ancestor: no sibling edge.
        if path.leading_colon.is_none() && path.segments.len() > 1 && starts_a_path(&path.segments[0].ident.to_string())
        {
            let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            let text = segments.join("::");
            self.add(segments, path.segments[0].ident.span(), text);
        }
        visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.visit_path(&mac.path);
        self.scan_tokens(mac.tokens.clone());
    }

    /// Attributes, doc comments included, do not make edges.
    fn visit_attribute(&mut self, _: &'ast syn::Attribute) {}

    /// Nor do visibilities: `pub(crate)`, `pub(in crate::a)`.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}
}

/// The deepest module `segments`, written in module `from`, goes through.
fn resolve(modules: &BTreeMap<ModPath, String>, from: &[String], segments: &[String]) -> Option<ModPath> {
    let (first, rest) = segments.split_first()?;
    let mut module = match first.as_str() {
        "crate" => Vec::new(),
        "self" | "super" => from.to_vec(),
        _ => return None,
    };
    let mut rest = rest.iter().peekable();
    if first == "super" {
        module.pop()?;
    }
    while rest.next_if(|s| *s == "super").is_some() {
        module.pop()?;
    }
    for segment in rest {
        module.push(segment.clone());
        if !modules.contains_key(&module) {
            module.pop();
            break;
        }
    }
    Some(module)
}

/// For a path from module `a` to module `b`: their lowest common ancestor, and its children
/// that contain `a` and `b`; none if one is the other or an ancestor of the other.
fn sibling_edge(a: &[String], b: &[String]) -> Option<(ModPath, String, String)> {
    let common = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if common == a.len() || common == b.len() {
        return None;
    }
    Some((a[..common].to_vec(), a[common].clone(), b[common].clone()))
}

/// For each module with children, the edges between them, each with the paths that make it.
type SiblingGraphs = BTreeMap<ModPath, BTreeMap<(String, String), Vec<Ref>>>;

fn sibling_graphs(refs: &[Ref]) -> SiblingGraphs {
    let mut graphs = SiblingGraphs::new();
    for r in refs {
        if let Some((parent, x, y)) = sibling_edge(&r.from, &r.to) {
            graphs.entry(parent).or_default().entry((x, y)).or_default().push(r.clone());
        }
    }
    graphs
}

/// The strongly connected components of more than one node.
fn cycles_among(edges: &BTreeMap<(String, String), Vec<Ref>>) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (x, y) in edges.keys() {
        next.entry(x).or_default().push(y);
        next.entry(y).or_default();
    }
    let reachable = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(n) = todo.pop() {
            for &m in &next[n] {
                if seen.insert(m) {
                    todo.push(m);
                }
            }
        }
        seen
    };
    let reach: BTreeMap<&str, BTreeSet<&str>> = next.keys().map(|&n| (n, reachable(n))).collect();
    let mut placed = BTreeSet::new();
    let mut components = Vec::new();
    for &n in next.keys() {
        if placed.contains(n) || !reach[n].contains(n) {
            continue;
        }
        let component: Vec<String> =
            reach[n].iter().filter(|m| reach[*m].contains(n)).map(|m| (*m).to_owned()).collect();
        placed.extend(reach[n].iter().copied().filter(|m| reach[*m].contains(n)));
        components.push(component);
    }
    components
}

/// Build the module tree of the crate whose files (`src/lib.rs` → source) are `files`, collect
/// its paths and find the cycles between siblings.
fn analyze(files: &BTreeMap<String, String>) -> Analysis {
    let mut collector = Collector {
        files,
        module: Vec::new(),
        file: String::new(),
        dir: String::new(),
        inline_depth: 0,
        modules: BTreeMap::new(),
        test_files: BTreeSet::new(),
        raw: Vec::new(),
        problems: Vec::new(),
    };
    collector.walk_file(Vec::new(), "src/lib.rs".to_owned());
    let Collector { modules, test_files, raw, mut problems, .. } = collector;

    let in_tree: BTreeSet<&String> = modules.values().collect();
    // A test module's own `mod x;` children live in its directory; they are not walked either.
    let test_dirs: Vec<String> = test_files
        .iter()
        .map(|f| format!("{}/", f.strip_suffix("/mod.rs").unwrap_or_else(|| f.trim_end_matches(".rs"))))
        .collect();
    for file in files.keys() {
        let binary = file == "src/main.rs" || file.starts_with("src/bin/");
        let test = test_files.contains(file) || test_dirs.iter().any(|d| file.starts_with(d.as_str()));
        if file.ends_with(".rs") && !binary && !test && !in_tree.contains(file) {
            problems.push(format!("{file}: not in the module tree of src/lib.rs (no `mod` declares it)"));
        }
    }

    let mut refs = Vec::new();
    for r in raw {
        match resolve(&modules, &r.from, &r.segments) {
            Some(to) if to != r.from => {
                refs.push(Ref { from: r.from, to, file: r.file, line: r.line, text: r.text });
            }
            Some(_) => {}
            None => problems.push(format!("{}:{}: `{}` goes above the crate root", r.file, r.line, r.text)),
        }
    }

    let mut cycles = Vec::new();
    for (parent, edges) in sibling_graphs(&refs) {
        for members in cycles_among(&edges) {
            let cycle_edges = edges
                .iter()
                .filter(|((x, y), _)| members.contains(x) && members.contains(y))
                .map(|((x, y), refs)| (x.clone(), y.clone(), refs.clone()))
                .collect();
            cycles.push(Cycle { parent: parent.clone(), members, edges: cycle_edges });
        }
    }
    Analysis { modules, refs, problems, cycles }
}

/// At most this many places are shown for an edge, and this many elementary cycles for a set
/// of strongly connected siblings.
const SHOWN: usize = 12;
const SHOWN_CYCLES: usize = 40;

/// The places (file, line, path) of `refs`, in file and line order; the paths on one line are
/// merged: `use crate::diag::{Code, Finding}`.
fn places(refs: &[Ref]) -> Vec<(String, usize, String)> {
    let mut by_place: BTreeMap<(&str, usize), Vec<&str>> = BTreeMap::new();
    for r in refs {
        let texts = by_place.entry((&r.file, r.line)).or_default();
        if !texts.contains(&r.text.as_str()) {
            texts.push(&r.text);
        }
    }
    by_place.into_iter().map(|((file, line), texts)| (file.to_owned(), line, merge_paths(&texts))).collect()
}

fn merge_paths(texts: &[&str]) -> String {
    let split: Vec<Vec<&str>> = texts.iter().map(|t| t.split("::").collect()).collect();
    let common = (0..).take_while(|&i| split.iter().all(|s| i + 1 < s.len() && s[i] == split[0][i])).count();
    match texts {
        [one] => (*one).to_owned(),
        _ if common == 0 => texts.join(", "),
        _ => {
            let tails: Vec<String> = split.iter().map(|s| s[common..].join("::")).collect();
            format!("{}::{{{}}}", split[0][..common].join("::"), tails.join(", "))
        }
    }
}

/// The elementary cycles of the graph `edges`, shortest first, at most `limit` of them.
fn elementary_cycles(edges: &[(String, String, Vec<Ref>)], limit: usize) -> Vec<Vec<String>> {
    fn extend<'e>(
        path: &mut Vec<&'e str>,
        edges: &'e [(String, String, Vec<Ref>)],
        found: &mut Vec<Vec<String>>,
        limit: usize,
    ) {
        let (start, last) = (path[0], path[path.len() - 1]);
        for (x, y, _) in edges {
            if found.len() >= limit || x != last {
                continue;
            }
            if y == start {
                found.push(path.iter().map(|&n| n.to_owned()).collect());
            } else if y.as_str() > start && !path.contains(&y.as_str()) {
                path.push(y);
                extend(path, edges, found, limit);
                path.pop();
            }
        }
    }
    let nodes: BTreeSet<&str> = edges.iter().map(|(x, _, _)| x.as_str()).collect();
    let mut found = Vec::new();
    for start in nodes {
        extend(&mut vec![start], edges, &mut found, limit);
    }
    found.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    found
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") }
}

fn render(cycles: &[Cycle]) -> String {
    let mut out = format!(
        "{} of sibling modules with import cycles. At each level of the module tree, the \
         dependencies between the children of a module must be acyclic (a module may use its \
         ancestors and its descendants freely).\n",
        plural(cycles.len(), "set")
    );
    for cycle in cycles {
        let name = |child: &str| {
            let mut module = cycle.parent.clone();
            module.push(child.to_owned());
            display(&module)
        };
        out += &format!(
            "\nthe children {} of `{}` depend on one another. Their cycles, with an example of each edge:\n",
            cycle.members.join(", "),
            display(&cycle.parent)
        );
        let elementary = elementary_cycles(&cycle.edges, SHOWN_CYCLES + 1);
        for members in elementary.iter().take(SHOWN_CYCLES) {
            out += &format!("  {} -> {}\n", members.join(" -> "), members[0]);
            for (i, x) in members.iter().enumerate() {
                let y = &members[(i + 1) % members.len()];
                let (_, _, refs) = cycle.edges.iter().find(|(a, b, _)| a == x && b == y).expect("an edge of the cycle");
                let (file, line, text) = &places(refs)[0];
                out += &format!("      {} -> {}: {file}:{line} {text}\n", name(x), name(y));
            }
        }
        if elementary.len() > SHOWN_CYCLES {
            out += "  … and more\n";
        }
        out += "every edge between them, with each place that makes it:\n";
        for (x, y, refs) in &cycle.edges {
            let places = places(refs);
            out += &format!("  {} -> {} ({}):\n", name(x), name(y), plural(places.len(), "place"));
            for (file, line, text) in places.iter().take(SHOWN) {
                out += &format!("      {file}:{line} {text}\n");
            }
            if places.len() > SHOWN {
                out += &format!("      … and {} more\n", places.len() - SHOWN);
            }
        }
    }
    out
}

fn read_tree(root: &Path, dir: &Path, files: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> =
        std::fs::read_dir(dir).expect("src/ is readable").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_tree(root, &path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("under the root");
            let key = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            files.insert(key, std::fs::read_to_string(&path).expect("source is UTF-8"));
        }
    }
}

#[test]
fn sibling_modules_have_no_import_cycles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = BTreeMap::new();
    read_tree(root, &root.join("src"), &mut files);
    let analysis = analyze(&files);
    assert!(analysis.problems.is_empty(), "the module tree of src/:\n{}", analysis.problems.join("\n"));
    // So that the check cannot pass by seeing nothing.
    assert!(analysis.modules.len() > 30, "only {} modules found", analysis.modules.len());
    assert!(analysis.refs.len() > 50, "only {} paths between modules found", analysis.refs.len());
    let graphs = sibling_graphs(&analysis.refs);
    assert!(graphs.get(&Vec::new()).is_some_and(|edges| edges.len() > 20), "few edges between top-level modules");
    assert!(analysis.cycles.is_empty(), "{}", render(&analysis.cycles));
}

// ------------------------------------------------------------------------------------------------
// The checker, on small crates.

fn crate_of(files: &[(&str, &str)]) -> Analysis {
    let files = files.iter().map(|(path, source)| ((*path).to_owned(), (*source).to_owned())).collect();
    analyze(&files)
}

/// The cycles as `parent: a, b`.
fn cycle_names(analysis: &Analysis) -> Vec<String> {
    analysis.cycles.iter().map(|c| format!("{}: {}", display(&c.parent), c.members.join(", "))).collect()
}

/// Every sibling edge as `parent: x -> y`.
fn sibling_edge_names(analysis: &Analysis) -> Vec<String> {
    sibling_graphs(&analysis.refs)
        .iter()
        .flat_map(|(parent, edges)| edges.keys().map(move |(x, y)| format!("{}: {x} -> {y}", display(parent))))
        .collect()
}

#[test]
fn checker_finds_a_cycle_through_a_grouped_use_and_a_path_in_a_fn_body() {
    let analysis = crate_of(&[
        ("src/lib.rs", "mod a;\nmod b;\nmod c;\n"),
        ("src/a.rs", "use crate::{b::X, b::Y, c};\n\npub fn f() -> u8 {\n    1\n}\n"),
        ("src/b.rs", "pub struct X;\npub struct Y;\n\nfn g() -> u8 {\n    crate::a::f()\n}\n"),
        ("src/c.rs", "pub fn h() {}\n"),
    ]);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(sibling_edge_names(&analysis), ["crate: a -> b", "crate: a -> c", "crate: b -> a"]);
    assert_eq!(cycle_names(&analysis), ["crate: a, b"]);
    let message = render(&analysis.cycles);
    assert!(
        message.contains(
            "  a -> b -> a\n      crate::a -> crate::b: src/a.rs:1 use crate::b::{X, Y}\n      \
             crate::b -> crate::a: src/b.rs:5 crate::a::f\n"
        ),
        "{message}"
    );
    assert!(
        message.contains("  crate::a -> crate::b (1 place):\n      src/a.rs:1 use crate::b::{X, Y}\n"),
        "{message}"
    );
    assert!(message.contains("  crate::b -> crate::a (1 place):\n      src/b.rs:5 crate::a::f\n"), "{message}");
    assert!(!message.contains("crate::c"), "{message}");
}

#[test]
fn checker_lets_children_use_their_parent_and_parents_their_children() {
    let analysis = crate_of(&[
        ("src/lib.rs", "pub mod read;\npub mod validate;\n"),
        ("src/read.rs", "pub fn cell() {}\n"),
        (
            "src/validate/mod.rs",
            "mod duplicates;\n\nuse self::duplicates::find;\n\npub struct Observation;\n\n\
             pub fn check() {\n    find();\n    crate::read::cell();\n}\n",
        ),
        (
            "src/validate/duplicates.rs",
            "use super::Observation;\n\npub(super) fn find() {\n    let _ = super::Observation;\n}\n",
        ),
    ]);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    let refs: Vec<String> =
        analysis.refs.iter().map(|r| format!("{} {} -> {}", r.text, display(&r.from), display(&r.to))).collect();
    assert_eq!(
        refs,
        [
            "use super::Observation crate::validate::duplicates -> crate::validate",
            "super::Observation crate::validate::duplicates -> crate::validate",
            "use self::duplicates::find crate::validate -> crate::validate::duplicates",
            "crate::read::cell crate::validate -> crate::read",
        ]
    );
    assert_eq!(sibling_edge_names(&analysis), ["crate: validate -> read"]);
    assert!(analysis.cycles.is_empty());
}

#[test]
fn checker_finds_a_cycle_through_nested_modules_and_macro_arguments() {
    let analysis = crate_of(&[
        ("src/lib.rs", "mod x;\nmod y;\n"),
        ("src/x/mod.rs", "mod deep;\n"),
        ("src/x/deep.rs", "pub fn m() -> String {\n    format!(\"{}\", crate::y::z::K)\n}\n"),
        ("src/y/mod.rs", "pub mod z;\n"),
        ("src/y/z.rs", "pub const K: u8 = 1;\n\npub fn f() {\n    super::super::x::deep::m();\n}\n"),
    ]);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(cycle_names(&analysis), ["crate: x, y"]);
    let message = render(&analysis.cycles);
    assert!(message.contains("src/x/deep.rs:2 crate::y::z::K\n"), "{message}");
    assert!(message.contains("src/y/z.rs:4 super::super::x::deep::m\n"), "{message}");
}

#[test]
fn checker_finds_cycles_among_inline_modules_and_through_dollar_crate() {
    let analysis = crate_of(&[
        (
            "src/lib.rs",
            "mod outer {\n    pub mod a {\n        pub fn f() { super::b::g() }\n    }\n    pub mod b {\n        \
             pub fn g() { self::h() }\n        fn h() { let _: crate::outer::a::T; }\n    }\n}\nmod p;\n",
        ),
        ("src/p.rs", "mod q;\nmod r {\n    pub fn s() { vec![$crate::p::q::t()]; }\n}\n"),
        ("src/p/q.rs", "pub fn t() { super::r::s() }\n"),
    ]);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(cycle_names(&analysis), ["crate::outer: a, b", "crate::p: q, r"]);
    let message = render(&analysis.cycles);
    assert!(message.contains("src/lib.rs:7 crate::outer::a::T\n"), "{message}");
    assert!(message.contains("src/p.rs:3 $crate::p::q::t\n"), "{message}");
}

#[test]
fn checker_skips_attributes_doc_comments_and_test_modules() {
    let analysis = crate_of(&[
        ("src/lib.rs", "mod a;\nmod b;\n"),
        (
            "src/a.rs",
            "//! See [`crate::b::X`].\n\n#[doc = \"crate::b::X\"]\n#[allow(crate::b::lint)]\npub(in crate::b) fn f() {}\n\n\
             #[cfg(test)]\nmod tests {\n    use crate::b::X;\n}\n\n#[cfg(all(test, unix))]\nmod more;\n\n\
             #[cfg(test)]\nfn helper() -> crate::b::X {\n    crate::b::X\n}\n\n#[cfg(not(test))]\nfn real() {}\n",
        ),
        ("src/a/more.rs", "use crate::b::X;\nmod helpers;\n"),
        ("src/a/more/helpers.rs", "use crate::b::X;\n"),
        ("src/b.rs", "pub struct X;\n\npub fn g() {\n    crate::a::f()\n}\n"),
    ]);
    assert!(analysis.problems.is_empty(), "{:?}", analysis.problems);
    assert_eq!(sibling_edge_names(&analysis), ["crate: b -> a"]);
    assert!(analysis.cycles.is_empty());
}

#[test]
fn checker_reports_missing_and_stray_files() {
    let analysis = crate_of(&[
        ("src/lib.rs", "mod a;\nmod gone;\n"),
        ("src/a.rs", "pub fn f() {}\n"),
        ("src/stray.rs", "pub fn g() {}\n"),
        ("src/main.rs", "fn main() {}\n"),
    ]);
    assert_eq!(
        analysis.problems,
        [
            "src/lib.rs:2: `mod gone;` has no file: neither src/gone.rs nor src/gone/mod.rs",
            "src/stray.rs: not in the module tree of src/lib.rs (no `mod` declares it)",
        ]
    );
}
