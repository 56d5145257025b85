//! Opaque bearer tokens, accepted from an `Authorization: Bearer` header or a `session` cookie.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use rand::Rng;
use uuid::Uuid;

use super::error::ApiError;
use super::locks::lock;
use super::AppState;

/// The cookie set at login and read back by authenticated routes.
pub(crate) const SESSION_COOKIE: &str = "session";

#[derive(Debug)]
struct Session {
    user_id: Uuid,
    uses: u32,
}

/// Issued tokens and who has used one.
#[derive(Debug)]
pub(crate) struct SessionTable {
    by_token: HashMap<String, Session>,
    max_uses: Option<u32>,
    users_with_calls: HashSet<Uuid>,
}

impl SessionTable {
    /// No tokens yet; each will allow `max_uses` authenticated calls, or any number if `None`.
    pub(crate) fn new(max_uses: Option<u32>) -> Self {
        Self {
            by_token: HashMap::new(),
            max_uses,
            users_with_calls: HashSet::new(),
        }
    }

    /// Issues a fresh random token for a user.
    pub(crate) fn issue(&mut self, user_id: Uuid) -> String {
        let token = random_token();
        self.by_token
            .insert(token.clone(), Session { user_id, uses: 0 });
        token
    }

    /// Counts one authenticated use of a token and returns its user, or refuses it.
    ///
    /// A token past its allowed uses stays refused: the client is expected to log in again.
    pub(crate) fn authenticate(&mut self, token: &str) -> Result<Uuid, ApiError> {
        let session = self.by_token.get_mut(token).ok_or(ApiError::Unauthorized)?;
        if self.max_uses.is_some_and(|max| session.uses >= max) {
            return Err(ApiError::Unauthorized);
        }
        session.uses = session.uses.saturating_add(1);
        self.users_with_calls.insert(session.user_id);
        Ok(session.user_id)
    }

    /// How many distinct users made at least one authenticated call with their own token.
    pub(crate) fn distinct_users(&self) -> usize {
        self.users_with_calls.len()
    }
}

/// 32 random bytes as 64 hex digits.
fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    bytes
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            // Writing to a String cannot fail.
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The token a request carries: the bearer header if present, else the session cookie.
fn presented_token(parts: &Parts) -> Option<&str> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let value = header.to_str().ok()?.trim();
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim())
            .filter(|token| !token.is_empty());
    }
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|token| !token.is_empty())
}

/// The authenticated caller of a route; extracting it counts one use of the token.
pub(crate) struct CurrentUser(pub Uuid);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = presented_token(parts).ok_or(ApiError::Unauthorized)?;
        lock(&state.store.sessions)
            .authenticate(token)
            .map(CurrentUser)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(header: (&str, &str)) -> Parts {
        let (parts, ()) = Request::builder()
            .header(header.0, header.1)
            .body(())
            .unwrap()
            .into_parts();
        parts
    }

    #[test]
    fn tokens_expire_after_max_uses() {
        let mut table = SessionTable::new(Some(2));
        let user = Uuid::new_v4();
        let token = table.issue(user);
        assert_eq!(token.len(), 64);
        assert_eq!(table.authenticate(&token).unwrap(), user);
        assert_eq!(table.authenticate(&token).unwrap(), user);
        assert!(table.authenticate(&token).is_err());
        assert!(table.authenticate("nope").is_err());
        assert_eq!(table.distinct_users(), 1);
        assert_ne!(table.issue(user), token);
    }

    #[test]
    fn token_comes_from_bearer_or_cookie() {
        assert_eq!(
            presented_token(&parts(("authorization", "Bearer abc"))),
            Some("abc")
        );
        assert_eq!(
            presented_token(&parts(("authorization", "bearer  abc "))),
            Some("abc")
        );
        assert_eq!(
            presented_token(&parts(("authorization", "Basic abc"))),
            None
        );
        assert_eq!(presented_token(&parts(("authorization", "Bearer"))), None);
        assert_eq!(
            presented_token(&parts(("cookie", "a=1; session=xyz"))),
            Some("xyz")
        );
        assert_eq!(presented_token(&parts(("cookie", "sessionx=1"))), None);
    }
}
