//! Where a site's sources live under its root, and how a path is shown to
//! the editor in a message.

use std::path::{Path, PathBuf};

pub const CONTENT: &str = "content";
pub const TEMPLATES: &str = "templates";
/// Under templates/: copied to the output as they are.
pub const STATIC: &str = "static";

/// Path shown to editors: relative to the root they run from.
pub fn shown(root: &Path, rel: &Path) -> PathBuf {
    if root == Path::new(".") || root.as_os_str().is_empty() { rel.to_path_buf() } else { root.join(rel) }
}
