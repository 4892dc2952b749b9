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
pub fn upsert(
    client: &Client,
    repo_route: &str,
    number: u64,
    body: &str,
) -> Result<CommentAction, ApiError> {
    let payload = json!({ "body": super::checks::truncate(body, MAX_BODY) });
    if let Some(id) = find_existing(client, repo_route, number)? {
        client.patch(&format!("{repo_route}/issues/comments/{id}"), &payload)?;
        return Ok(CommentAction::Updated(id));
    }
    let create = format!("{repo_route}/issues/{number}/comments");
    match client.post(&create, &payload, Retry::OnlyIfRefused) {
        Ok(response) => Ok(CommentAction::Created(comment_id(&response.body))),
        // A 5xx or timeout may still have created the comment: look before posting again.
        Err(e) if e.status.is_none_or(|s| s >= 500) => {
            if let Some(id) = find_existing(client, repo_route, number)? {
                client.patch(&format!("{repo_route}/issues/comments/{id}"), &payload)?;
                return Ok(CommentAction::Updated(id));
            }
            let response = client.post(&create, &payload, Retry::OnlyIfRefused)?;
            Ok(CommentAction::Created(comment_id(&response.body)))
        }
        Err(e) => Err(e),
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
    Ok(comments.iter().find_map(|c| {
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
