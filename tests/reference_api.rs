//! The reference API over real HTTP: every route, its status codes, faults, and shutdown.

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use loadgate::reference_api::{Fault, ReferenceApi, RunningApi};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

fn start() -> RunningApi {
    ReferenceApi::new().start().expect("reference API starts")
}

struct Api<'a> {
    running: &'a RunningApi,
    client: Client,
}

impl<'a> Api<'a> {
    fn new(running: &'a RunningApi) -> Self {
        Self {
            running,
            client: Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        into_parts(self.client.get(self.url(path)).send().await).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        into_parts(self.client.post(self.url(path)).json(&body).send().await).await
    }

    async fn get_with_token(&self, path: &str, token: &str) -> (StatusCode, Value) {
        into_parts(
            self.client
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await,
        )
        .await
    }

    async fn stats(&self) -> Value {
        self.get("/api/v1/admin/stats").await.1
    }

    async fn register_and_login(&self, username: &str) -> String {
        let body = json!({ "username": username, "password": "pw-123" });
        let (status, _) = self.post("/api/v1/auth/register", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, login) = self.post("/api/v1/auth/login", body).await;
        assert_eq!(status, StatusCode::OK);
        login["data"]["token"].as_str().expect("token").to_owned()
    }
}

async fn into_parts(response: reqwest::Result<reqwest::Response>) -> (StatusCode, Value) {
    let response = response.expect("request reaches the server");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON body")
    };
    (status, body)
}

fn worker(name: &str) -> Value {
    json!({ "name": name, "capabilities": ["code", "review"], "max_concurrent_tasks": 2 })
}

#[tokio::test]
async fn health_answers_ok() {
    let running = start();
    let api = Api::new(&running);
    assert_eq!(
        api.get("/health").await,
        (StatusCode::OK, json!({ "status": "ok" }))
    );
    let (status, body) = api.get("/no/such/route").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn worker_lifecycle() {
    let running = start();
    let api = Api::new(&running);
    let (status, created) = api.post("/api/v1/workers/register", worker("w1")).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(created["status"], "online");
    assert_eq!(created["name"], "w1");
    let id = created["worker_id"].as_str().unwrap().to_owned();

    let beat_url = format!("/api/v1/workers/{id}/heartbeat");
    let (status, beat) = api.post(&beat_url, json!({ "status": "busy" })).await;
    assert_eq!(
        (status, beat["status"].as_str()),
        (StatusCode::OK, Some("busy"))
    );
    let empty = api.client.post(api.url(&beat_url)).send().await.unwrap();
    assert_eq!(empty.status(), StatusCode::OK);

    let (_, busy) = api.get("/api/v1/workers?status=busy").await;
    assert_eq!(busy["total"], 1);
    let (_, online) = api.get("/api/v1/workers?status=online").await;
    assert_eq!(online, json!({ "workers": [], "total": 0 }));
    let (status, fetched) = api.get(&format!("/api/v1/workers/{id}")).await;
    assert_eq!(
        (status, &fetched["worker_id"]),
        (StatusCode::OK, &created["worker_id"])
    );

    let delete = || {
        api.client
            .delete(api.url(&format!("/api/v1/workers/{id}")))
            .send()
    };
    assert_eq!(delete().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(delete().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(api.stats().await["workers"], 0);
}

#[tokio::test]
async fn worker_errors_are_409_422_and_404() {
    let running = start();
    let api = Api::new(&running);
    api.post("/api/v1/workers/register", worker("dup")).await;
    let (status, body) = api.post("/api/v1/workers/register", worker("dup")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("conflict"))
    );

    for bad in [
        json!({ "capabilities": [], "max_concurrent_tasks": 1 }),
        json!({ "name": 7, "capabilities": [], "max_concurrent_tasks": 1 }),
        json!({ "name": "x", "capabilities": [], "max_concurrent_tasks": 0 }),
        json!({ "name": "x", "capabilities": [], "max_concurrent_tasks": -1 }),
    ] {
        let (status, body) = api.post("/api/v1/workers/register", bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert_eq!(body["error"], "invalid_body");
    }
    let not_json = api
        .client
        .post(api.url("/api/v1/workers/register"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let unknown = uuid::Uuid::new_v4();
    for path in [
        format!("/api/v1/workers/{unknown}"),
        "/api/v1/workers/not-a-uuid".to_owned(),
        "/api/v1/workers/%FF%FE".to_owned(),
    ] {
        assert_eq!(api.get(&path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let beat = api.post("/api/v1/workers/nope/heartbeat", json!({})).await;
    assert_eq!(beat.0, StatusCode::NOT_FOUND);
    assert_eq!(
        api.get("/api/v1/workers?status=asleep").await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn fifty_concurrent_registrations_all_succeed() {
    let running = start();
    let api = Api::new(&running);
    let registrations =
        (0..50).map(|n| api.post("/api/v1/workers/register", worker(&format!("w{n}"))));
    let results = futures::future::join_all(registrations).await;
    assert!(results
        .iter()
        .all(|(status, _)| *status == StatusCode::CREATED));
    assert_eq!(api.stats().await["workers"], 50);
    assert_eq!(api.get("/api/v1/workers").await.1["total"], 50);
}

#[tokio::test]
async fn tasks_are_created_fetched_and_paged() {
    let running = start();
    let api = Api::new(&running);
    let (status, task) = api
        .post(
            "/api/v1/tasks",
            json!({ "title": "t0", "description": "d", "priority": 3 }),
        )
        .await;
    assert_eq!(
        (status, task["status"].as_str()),
        (StatusCode::CREATED, Some("pending"))
    );
    let id = task["task_id"].as_str().unwrap().to_owned();
    for n in 1..45 {
        api.post("/api/v1/tasks", json!({ "title": format!("t{n}") }))
            .await;
    }
    assert_eq!(
        api.get(&format!("/api/v1/tasks/{id}")).await.1["priority"],
        3
    );
    let (_, progress) = api.get(&format!("/api/v1/tasks/{id}/progress")).await;
    assert_eq!(
        progress,
        json!({ "task_id": id, "progress": 0, "status": "pending" })
    );

    let (_, page) = api
        .get("/api/v1/tasks?page=3&page_size=20&status=pending")
        .await;
    assert_eq!(
        (page["total"].as_u64(), page["page"].as_u64()),
        (Some(45), Some(3))
    );
    assert_eq!(page["tasks"].as_array().unwrap().len(), 5);
    assert_eq!(page["tasks"][0]["title"], "t40");
    let (_, capped) = api.get("/api/v1/tasks?page_size=1000").await;
    assert_eq!(capped["page_size"], 100);
    for bad in [
        "page=0",
        "page_size=0",
        "page=-1",
        "page=abc",
        "status=sleeping",
    ] {
        let (status, _) = api.get(&format!("/api/v1/tasks?{bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(
        api.post("/api/v1/tasks", json!({})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let missing = format!("/api/v1/tasks/{}/progress", uuid::Uuid::new_v4());
    assert_eq!(api.get(&missing).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn accounts_register_login_and_read_me() {
    let running = start();
    let api = Api::new(&running);
    let token = api.register_and_login("alice").await;
    let again = json!({ "username": "alice", "password": "x" });
    assert_eq!(
        api.post("/api/v1/auth/register", again).await.0,
        StatusCode::CONFLICT
    );
    let bad = json!({ "username": "bob" });
    assert_eq!(
        api.post("/api/v1/auth/register", bad).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let wrong = json!({ "username": "alice", "password": "nope" });
    assert_eq!(
        api.post("/api/v1/auth/login", wrong).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (status, body) = api.get("/api/v1/users/me").await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, json!({ "error": "unauthorized" }))
    );
    let (status, _) = api.get_with_token("/api/v1/users/me", "forged").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, me) = api.get_with_token("/api/v1/users/me", &token).await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("alice"))
    );
    assert!(me.get("password_hash").is_none());

    let stats = api.stats().await;
    assert_eq!(
        (stats["users"].as_u64(), stats["logins"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(stats["distinct_token_users"], 1);
}

#[tokio::test]
async fn session_cookie_authenticates_too() {
    let running = start();
    let api = Api::new(&running);
    api.post(
        "/api/v1/auth/register",
        json!({ "username": "carol", "password": "pw" }),
    )
    .await;
    let browser = Client::builder().cookie_store(true).build().unwrap();
    let login = browser
        .post(api.url("/api/v1/auth/login"))
        .json(&json!({ "username": "carol", "password": "pw" }))
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("session=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let me = browser
        .get(api.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn my_tasks_belong_to_their_owner() {
    let running = start();
    let api = Api::new(&running);
    let dave = api.register_and_login("dave").await;
    let erin = api.register_and_login("erin").await;
    for (token, title) in [(&dave, "d1"), (&dave, "d2"), (&erin, "e1")] {
        let response = api
            .client
            .post(api.url("/api/v1/me/tasks"))
            .bearer_auth(token)
            .json(&json!({ "title": title }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let (_, mine) = api.get_with_token("/api/v1/me/tasks", &dave).await;
    assert_eq!(mine["total"], 2);
    assert_eq!(
        api.get("/api/v1/me/tasks").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api.stats().await["distinct_token_users"], 2);
}

#[tokio::test]
async fn tokens_expire_after_max_uses() {
    let running = ReferenceApi::new().token_max_uses(2).start().unwrap();
    let api = Api::new(&running);
    let token = api.register_and_login("frank").await;
    for _ in 0..2 {
        assert_eq!(
            api.get_with_token("/api/v1/users/me", &token).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        api.get_with_token("/api/v1/users/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let credentials = json!({ "username": "frank", "password": "pw-123" });
    let (_, login) = api.post("/api/v1/auth/login", credentials).await;
    let fresh = login["data"]["token"].as_str().unwrap();
    assert_eq!(
        api.get_with_token("/api/v1/users/me", fresh).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn delay_fault_slows_only_its_route() {
    let running = ReferenceApi::new()
        .fault(
            "GET /api/v1/workers/{id}",
            Fault::delay(Duration::from_millis(300)),
        )
        .start()
        .unwrap();
    let api = Api::new(&running);
    let started = Instant::now();
    let (status, _) = api
        .get(&format!("/api/v1/workers/{}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(started.elapsed() >= Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(api.get("/api/v1/workers").await.0, StatusCode::OK);
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn error_faults_answer_their_status() {
    let running = ReferenceApi::new()
        .fault("post /api/v1/tasks", Fault::error_rate(1.0, 500))
        .fault("GET /health", Fault::error_rate(0.5, 500))
        .start()
        .unwrap();
    let api = Api::new(&running);
    for _ in 0..20 {
        let (status, body) = api.post("/api/v1/tasks", json!({ "title": "t" })).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::INTERNAL_SERVER_ERROR, Some("injected_fault"))
        );
    }
    assert_eq!(api.stats().await["tasks"], 0);
    let mut errors = 0;
    for _ in 0..200 {
        if api.get("/health").await.0 == StatusCode::INTERNAL_SERVER_ERROR {
            errors += 1;
        }
    }
    assert!((60..=140).contains(&errors), "{errors} errors out of 200");
    assert_eq!(api.stats().await["requests"], 220);
}

#[tokio::test]
async fn every_listed_route_can_be_faulted() {
    let routes = ReferenceApi::routes();
    let builder = routes.iter().fold(ReferenceApi::new(), |api, route| {
        api.fault(route, Fault::error_rate(1.0, 418))
    });
    let running = builder.start().unwrap();
    let api = Api::new(&running);
    let id = uuid::Uuid::new_v4().to_string();
    for route in routes {
        let (method, path) = route.split_once(' ').unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let url = api.url(&path.replace("{id}", &id));
        let status = api
            .client
            .request(method, url)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, StatusCode::IM_A_TEAPOT, "{route}");
    }
}

#[test]
fn unknown_fault_route_is_refused_at_start() {
    let error = ReferenceApi::new()
        .fault("GET /api/v1/worker", Fault::delay(Duration::ZERO))
        .start()
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("GET /api/v1/worker;"), "{error}");
}

#[test]
fn starts_outside_a_runtime_and_shutdown_frees_the_port() {
    let running = start();
    let addr = running.addr();
    assert_eq!(running.base_url(), format!("http://{addr}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async { Api::new(&running).get("/health").await.0 });
    assert_eq!(status, StatusCode::OK);
    running.shutdown();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    assert!(TcpListener::bind(addr).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_on_idle_or_stuck_connections() {
    let running = ReferenceApi::new()
        .fault("GET /health", Fault::delay(Duration::from_secs(60)))
        .start()
        .unwrap();
    let client = Client::new();
    let idle = client
        .get(format!("{}/api/v1/workers", running.base_url()))
        .send()
        .await;
    assert_eq!(idle.unwrap().status(), StatusCode::OK);
    let stuck = tokio::spawn(client.get(format!("{}/health", running.base_url())).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    tokio::task::spawn_blocking(move || running.shutdown())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(stuck.await.unwrap().is_err());
}
