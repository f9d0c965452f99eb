//! Helpers shared by the generator's tests and the benchmark's site synthesiser.

use std::fs;
use std::path::Path;

/// Copies a folder tree (content/, templates/) so a test can break or edit its copy.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Text as a reader sees it: tags dropped, entities people meet decoded, spaces collapsed.
pub fn text_of(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.replace(" ,", ",").replace(" .", ".").replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&")
}

/// The page's text inside <main>, as a reader sees it.
pub fn main_text(html: &str) -> String {
    text_of(&html[html.find("<main").unwrap()..html.find("</main>").unwrap()])
}
