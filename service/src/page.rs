//! Paginated listings: `?limit=N&after=KEY` walks a listing in ascending key order, at most
//! `limit` items a page (default 100, at most 500); an answer's `next` is the `after` of the
//! next page, `null` on the last.

use crate::error::{AppError, AppResult};
use axum::{
    extract::{FromRequestParts, Query},
    http::request::Parts,
};
use serde::Deserialize;

/// A page request.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Page {
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    after: Option<String>,
}

impl Page {
    /// Items a page holds at most.
    pub const MAX: u32 = 500;
    const DEFAULT: u32 = 100;

    fn limit(&self) -> u32 {
        self.limit.unwrap_or(Self::DEFAULT)
    }

    /// Rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit()) + 1
    }

    /// The key to start after ("" from the start).
    pub fn after(&self) -> &str {
        self.after.as_deref().unwrap_or("")
    }

    /// The page's rows and the cursor of the next page.
    pub fn finish<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> &str) -> (Vec<T>, Option<String>) {
        let n = self.limit() as usize;
        if rows.len() > n {
            rows.truncate(n);
            let next = rows.last().map(|r| key(r).to_string());
            (rows, next)
        } else {
            (rows, None)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Page {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> AppResult<Self> {
        let Query(p) = Query::<Page>::from_request_parts(parts, state).await?;
        if p.limit == Some(0) || p.limit.is_some_and(|l| l > Self::MAX) {
            return Err(AppError::bad(format!("limit: 1 to {}", Self::MAX)));
        }
        if p.after.as_ref().is_some_and(|a| a.chars().count() > 200) {
            return Err(AppError::bad("after: a cursor from a `next` field (at most 200 characters)"));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_end_with_no_cursor() {
        let p = Page { limit: Some(2), after: None };
        let (rows, next) = p.finish(vec!["a", "b", "c"], |s| s);
        assert_eq!((rows, next.as_deref()), (vec!["a", "b"], Some("b")));
        let (rows, next) = p.finish(vec!["c", "d"], |s| s);
        assert_eq!((rows, next), (vec!["c", "d"], None));
    }
}
