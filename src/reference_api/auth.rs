//! Accounts: register, log in (token and session cookie), and read the current user.
//!
//! Passwords are hashed with Argon2id at a deliberately low cost: the server is a measuring
//! target, and a burst of logins should measure the harness, not key stretching.

use std::collections::HashMap;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rand::Rng;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{ApiError, JsonBody};
use super::locks::{lock, now_millis};
use super::sessions::{CurrentUser, SESSION_COOKIE};
use super::AppState;

/// The routes served here, as `"METHOD /pattern"` keys for the fault table.
pub(crate) const ROUTES: &[&str] = &[
    "POST /api/v1/auth/register",
    "POST /api/v1/auth/login",
    "GET /api/v1/users/me",
];

/// Argon2 memory cost in KiB, one pass, one lane: about a millisecond per hash when optimised.
const HASH_MEMORY_KIB: u32 = 256;

/// The account routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/register", post(register))
        .route("/api/v1/auth/login", post(login))
        .route("/api/v1/users/me", get(me))
}

/// The body of `POST /api/v1/auth/register`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewUser {
    username: String,
    password: String,
    email: Option<String>,
}

/// The body of `POST /api/v1/auth/login`.
#[derive(Debug, Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

/// A user as answered by the API (never with the password hash).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct User {
    user_id: Uuid,
    username: String,
    email: Option<String>,
    created_at: u64,
}

#[derive(Debug)]
struct Account {
    user: User,
    password_hash: String,
}

/// All registered accounts, unique by username.
#[derive(Debug, Default)]
pub(crate) struct UserDirectory {
    by_id: HashMap<Uuid, Account>,
    id_by_name: HashMap<String, Uuid>,
}

impl UserDirectory {
    /// Refuses a blank username or password, or a taken username, before any hashing is spent.
    fn check_new(&self, new: &NewUser) -> Result<(), ApiError> {
        if new.username.trim().is_empty() || new.password.is_empty() {
            return Err(ApiError::InvalidBody(
                "`username` and `password` must not be empty".into(),
            ));
        }
        if self.id_by_name.contains_key(&new.username) {
            return Err(ApiError::Conflict(format!(
                "username `{}` is taken",
                new.username
            )));
        }
        Ok(())
    }

    /// Adds an account whose password is already hashed; checks the username again because
    /// another registration may have taken it while this one was hashing.
    fn insert(&mut self, new: NewUser, password_hash: String, now: u64) -> Result<User, ApiError> {
        self.check_new(&new)?;
        let user = User {
            user_id: Uuid::new_v4(),
            username: new.username,
            email: new.email,
            created_at: now,
        };
        self.id_by_name.insert(user.username.clone(), user.user_id);
        self.by_id.insert(
            user.user_id,
            Account {
                user: user.clone(),
                password_hash,
            },
        );
        Ok(user)
    }

    /// The user id and stored hash for a username, to verify outside the lock.
    fn credentials_of(&self, username: &str) -> Option<(Uuid, String)> {
        let id = self.id_by_name.get(username)?;
        let account = self.by_id.get(id)?;
        Some((*id, account.password_hash.clone()))
    }

    /// One user by id.
    pub(crate) fn get(&self, id: Uuid) -> Option<User> {
        self.by_id.get(&id).map(|account| account.user.clone())
    }

    /// How many accounts exist.
    pub(crate) fn len(&self) -> usize {
        self.by_id.len()
    }
}

fn hasher() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(HASH_MEMORY_KIB, 1, 1, None)
        .map_err(|error| ApiError::Internal(format!("argon2 parameters: {error}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|error| ApiError::Internal(format!("salt: {error}")))?;
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::Internal(format!("hashing: {error}")))
}

fn password_matches(password: &str, stored: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(stored)
        .map_err(|error| ApiError::Internal(format!("stored hash: {error}")))?;
    Ok(hasher()?
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// Runs CPU-bound hashing off the async workers, so a login burst cannot stall other routes.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| ApiError::Internal(format!("hashing task: {error}")))?
}

async fn register(
    State(state): State<AppState>,
    JsonBody(new): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    lock(&state.store.users).check_new(&new)?;
    let password = new.password.clone();
    let hash = off_runtime(move || hash_password(&password)).await?;
    let user = lock(&state.store.users).insert(new, hash, now_millis())?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn login(
    State(state): State<AppState>,
    JsonBody(credentials): JsonBody<Credentials>,
) -> Result<Response, ApiError> {
    let (user_id, stored) = lock(&state.store.users)
        .credentials_of(&credentials.username)
        .ok_or(ApiError::InvalidCredentials)?;
    let password = credentials.password;
    if !off_runtime(move || password_matches(&password, &stored)).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let token = lock(&state.store.sessions).issue(user_id);
    state.store.count_login();
    let cookie = format!("{SESSION_COOKIE}={token}; HttpOnly; Path=/");
    let body = serde_json::json!({
        "data": { "token": token, "token_type": "bearer", "user_id": user_id }
    });
    Ok(([(SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn me(
    State(state): State<AppState>,
    CurrentUser(user_id): CurrentUser,
) -> Result<Json<User>, ApiError> {
    lock(&state.store.users)
        .get(user_id)
        .map(Json)
        .ok_or(ApiError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_user(name: &str) -> NewUser {
        NewUser {
            username: name.into(),
            password: "pw".into(),
            email: None,
        }
    }

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let first = hash_password("secret").unwrap();
        let second = hash_password("secret").unwrap();
        assert_ne!(first, second);
        assert!(password_matches("secret", &first).unwrap());
        assert!(!password_matches("Secret", &first).unwrap());
    }

    #[test]
    fn usernames_are_unique_and_required() {
        let mut users = UserDirectory::default();
        let alice = users.insert(new_user("alice"), "h".into(), 0).unwrap();
        assert!(matches!(
            users.insert(new_user("alice"), "h".into(), 0),
            Err(ApiError::Conflict(_))
        ));
        assert!(matches!(
            users.check_new(&new_user(" ")),
            Err(ApiError::InvalidBody(_))
        ));
        assert_eq!(users.credentials_of("alice").unwrap().0, alice.user_id);
        assert!(users.credentials_of("bob").is_none());
        assert_eq!(users.len(), 1);
    }
}
