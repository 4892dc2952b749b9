//! One sticky comment per pull request: found by its hidden marker, created once, then edited.

use serde_json::{json, Value};

use super::client::{ApiError, Client, Retry};
use super::summary::MARKER;

/// GitHub rejects comment bodies over 65,536 characters.
pub const MAX_BODY: usize = 65_536;

/// Comment pages walked before giving up on finding ours (100 per page).
const MAX_PAGES: usize = 50;

/// What happened to the comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAction {
    Created(u64),
    Updated(u64),
}

/// Creates or updates the flaskscan comment on pull request `number`.
///
/// A POST that fails with a 5xx or no answer may still have created the comment, so before
/// posting again the comments are listed anew (after the usual wait): a retry never duplicates.
pub fn upsert(
    client: &Client,
    repo_route: &str,
    number: u64,
    body: &str,
) -> Result<CommentAction, ApiError> {
    let payload = json!({ "body": super::checks::truncate(body, MAX_BODY) });
    let create = format!("{repo_route}/issues/{number}/comments");
    let mut attempt = 1;
    loop {
        if let Some(id) = find_existing(client, repo_route, number)? {
            match client.patch(&format!("{repo_route}/issues/comments/{id}"), &payload) {
                Ok(_) => return Ok(CommentAction::Updated(id)),
                // Deleted between listing and editing: list again, then post a new one.
                Err(e) if e.status == Some(404) && attempt < client.timing().max_attempts => {
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        match client.post(&create, &payload, Retry::OnlyIfRefused) {
            Ok(response) => return Ok(CommentAction::Created(comment_id(&response.body))),
            Err(mut e) if e.is_transient() => {
                if attempt >= client.timing().max_attempts {
                    e.attempts = attempt;
                    return Err(e);
                }
                if !client.pause_before_recheck(
                    &mut e,
                    attempt,
                    "the comment may exist now",
                    "listing the comments again",
                ) {
                    return Err(e);
                }
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// The id of the first comment (oldest first, every page) carrying our marker.
pub fn find_existing(
    client: &Client,
    repo_route: &str,
    number: u64,
) -> Result<Option<u64>, ApiError> {
    let comments = client.get_all_pages(
        &format!("{repo_route}/issues/{number}/comments?per_page=100"),
        MAX_PAGES,
    )?;
    Ok(comments.items.iter().find_map(|c| {
        let body = c.get("body").and_then(Value::as_str)?;
        // Our bodies start with the marker; a reply quoting ours has it after `> `. (The author
        // can't tell: a PAT posts as a person, and installation tokens can't ask who they are.)
        body.trim_start()
            .starts_with(MARKER)
            .then(|| c.get("id").and_then(Value::as_u64))
            .flatten()
    }))
}

fn comment_id(body: &Value) -> u64 {
    body.get("id").and_then(Value::as_u64).unwrap_or(0)
}
