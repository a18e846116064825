//! Shared state for the scenarios that remember earlier requests: flaky
//! sequences, rate limits, versioned records. `memory` is embedded and
//! needs nothing installed; `redis://…` lets several teapot instances share
//! one state, and `redis+cluster://host:port,…` a Redis Cluster.
//!
//! Every key is namespaced (`teapot:{flaky}:…`, `teapot:{limit}:…`,
//! `teapot:{record}:…`) and expires (`ttl`); the memory store holds at most
//! [`MAX_KEYS`] keys, and in Redis each namespace as many (an index of its
//! keys, scored by expiry, is kept beside them), so a public instance
//! cannot be filled up. Redis operations are single Lua scripts, so two
//! instances never race on one counter. The namespace is the key's hash
//! tag: a script's key and its namespace's index always share a cluster
//! slot.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;

/// The most keys the memory store holds; past it, writes get
/// [`StoreError::Full`].
pub const MAX_KEYS: usize = 10_000;
/// The most WebDAV namespaces (trees) the store keeps at once.
pub const MAX_TREES: usize = 1000;
/// How long Redis gets to connect or answer before the store counts as down.
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached (Redis down).
    #[error("the state store is unavailable: {0}")]
    Unavailable(String),
    /// The store holds as many keys as it may.
    #[error("the state store is full")]
    Full,
}

/// The result of taking a token from a bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Take {
    /// Whether a token was available.
    pub allowed: bool,
    /// Tokens left.
    pub remaining: u64,
    /// Seconds until the next token, when none was available.
    pub retry_after: u64,
}

/// The state store.
pub enum Store {
    /// Embedded, in this process.
    Memory(Memory),
    /// Shared through Redis.
    Redis(RedisStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Store::Memory(_) => f.write_str("Store::Memory"),
            Store::Redis(r) => write!(f, "Store::Redis({})", r.url),
        }
    }
}

impl Store {
    /// `memory`, or a `redis://` URL. Redis is connected lazily, so the
    /// server starts (and everything stateless works) while it is down.
    pub fn open(spec: &str, ttl: Duration) -> Result<Store, String> {
        Store::open_capped(spec, ttl, MAX_KEYS)
    }

    /// Like [`Store::open`], with `cap` keys at most (in the memory store,
    /// in all; in Redis, in each namespace).
    pub fn open_capped(spec: &str, ttl: Duration, cap: usize) -> Result<Store, String> {
        if spec == "memory" {
            return Ok(Store::Memory(Memory::new(ttl, cap)));
        }
        if let Some(nodes) = spec.strip_prefix("redis+cluster://") {
            let nodes: Vec<String> = nodes
                .trim_end_matches('/')
                .split(',')
                .map(|n| format!("redis://{}/", n.trim()))
                .collect();
            let client = ClusterClient::builder(nodes)
                .connection_timeout(REDIS_TIMEOUT)
                .response_timeout(REDIS_TIMEOUT)
                .retries(1)
                .build()
                .map_err(|e| format!("--state {spec}: {e}"))?;
            return Ok(Store::Redis(RedisStore {
                url: spec.to_string(),
                client: Backend::Cluster(Box::new(client)),
                conn: tokio::sync::Mutex::new(None),
                ttl,
                cap: cap as u64,
            }));
        }
        if spec.starts_with("redis://")
            || spec.starts_with("rediss://")
            || spec.starts_with("redis+unix://")
        {
            let client = redis::Client::open(spec).map_err(|e| format!("--state {spec}: {e}"))?;
            return Ok(Store::Redis(RedisStore {
                url: spec.to_string(),
                client: Backend::Single(client),
                conn: tokio::sync::Mutex::new(None),
                ttl,
                cap: cap as u64,
            }));
        }
        Err(format!(
            "--state must be memory, a redis:// URL or redis+cluster://host:port,…, not {spec:?}"
        ))
    }

    /// Adds one to the counter `key` and returns the new value (1 for the
    /// first request).
    pub async fn next(&self, key: &str) -> Result<u64, StoreError> {
        let key = format!("teapot:{{flaky}}:{key}");
        match self {
            Store::Memory(m) => m.next(&key),
            Store::Redis(r) => r.next(&key).await,
        }
    }

    /// Forgets `key`.
    pub async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let key = format!("teapot:{{flaky}}:{key}");
        match self {
            Store::Memory(m) => {
                m.lock().remove(&key);
                Ok(())
            }
            Store::Redis(r) => r.reset(&key).await,
        }
    }

    /// Takes a token from the bucket `key`, which holds `capacity` tokens
    /// and refills all of them every `period`.
    pub async fn take(
        &self,
        key: &str,
        capacity: u64,
        period: Duration,
    ) -> Result<Take, StoreError> {
        let key = format!("teapot:{{limit}}:{key}");
        match self {
            Store::Memory(m) => m.take(&key, capacity, period),
            Store::Redis(r) => r.take(&key, capacity, period).await,
        }
    }

    /// A versioned record: its version and body, if present.
    pub async fn record(&self, key: &str) -> Result<Option<(u64, String)>, StoreError> {
        self.read_record(&format!("teapot:{{record}}:{key}")).await
    }

    /// Writes a record if its current version is `expect` (`None`: only if
    /// absent). Returns whether it was written; two writers never both win.
    pub async fn replace(
        &self,
        key: &str,
        expect: Option<u64>,
        version: u64,
        body: &str,
    ) -> Result<bool, StoreError> {
        let key = format!("teapot:{{record}}:{key}");
        self.write_record(&key, expect, version, body, None).await
    }

    /// A WebDAV namespace's tree: its version and text, if present.
    pub async fn tree(&self, ns: &str) -> Result<Option<(u64, String)>, StoreError> {
        self.read_record(&format!("teapot:{{dav}}:{ns}")).await
    }

    /// Writes a namespace's tree if its current version is `expect`
    /// (`None`: only if absent); at most [`MAX_TREES`] namespaces are kept.
    pub async fn replace_tree(
        &self,
        ns: &str,
        expect: Option<u64>,
        version: u64,
        body: &str,
    ) -> Result<bool, StoreError> {
        let key = format!("teapot:{{dav}}:{ns}");
        let within = Some(("teapot:{dav}:", MAX_TREES));
        self.write_record(&key, expect, version, body, within).await
    }

    async fn read_record(&self, key: &str) -> Result<Option<(u64, String)>, StoreError> {
        match self {
            Store::Memory(m) => Ok(m.record(key)),
            Store::Redis(r) => r.record(key).await,
        }
    }

    /// Compare-and-set of a record; with `within` (its namespace's key
    /// prefix and a count), at most that many records of the namespace.
    async fn write_record(
        &self,
        key: &str,
        expect: Option<u64>,
        version: u64,
        body: &str,
        within: Option<(&str, usize)>,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Memory(m) => m.replace_within(key, expect, version, body, within),
            Store::Redis(r) => {
                // In Redis every namespace is capped on its own already.
                let cap = within.map_or(r.cap, |(_, most)| most as u64);
                r.replace_capped(key, expect, version, body, cap).await
            }
        }
    }

    /// Whether the store answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        match self {
            Store::Memory(_) => Ok(()),
            Store::Redis(r) => r.ping().await,
        }
    }
}

enum Value {
    Counter(u64),
    Bucket { tokens: f64, at: Instant },
    Record(u64, String),
}

/// The embedded store.
pub struct Memory {
    map: Mutex<HashMap<String, (Value, Instant)>>,
    ttl: Duration,
    cap: usize,
}

impl Memory {
    fn new(ttl: Duration, cap: usize) -> Memory {
        Memory {
            map: Mutex::new(HashMap::new()),
            ttl,
            cap,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Value, Instant)>> {
        // A poisoned lock only means a panic elsewhere held it; the map is
        // still a map.
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes room for one more key, or says the store is full.
    fn room(
        map: &mut HashMap<String, (Value, Instant)>,
        key: &str,
        cap: usize,
    ) -> Result<(), StoreError> {
        let now = Instant::now();
        if let Some((_, expires)) = map.get(key) {
            if *expires <= now {
                map.remove(key);
            } else {
                return Ok(());
            }
        }
        if map.len() >= cap {
            map.retain(|_, (_, expires)| *expires > now);
        }
        if map.len() >= cap {
            return Err(StoreError::Full);
        }
        Ok(())
    }

    fn next(&self, key: &str) -> Result<u64, StoreError> {
        let mut map = self.lock();
        Self::room(&mut map, key, self.cap)?;
        let expires = Instant::now() + self.ttl;
        let entry = map
            .entry(key.to_string())
            .or_insert((Value::Counter(0), expires));
        let n = match &mut entry.0 {
            Value::Counter(n) => {
                *n += 1;
                *n
            }
            // Namespaces keep counters and buckets apart; start afresh.
            other => {
                *other = Value::Counter(1);
                1
            }
        };
        Ok(n)
    }

    fn record(&self, key: &str) -> Option<(u64, String)> {
        let map = self.lock();
        match map.get(key) {
            Some((Value::Record(v, body), expires)) if *expires > Instant::now() => {
                Some((*v, body.clone()))
            }
            _ => None,
        }
    }

    /// Compare-and-set of a record; with `within` (a key prefix and a
    /// count), a new key is refused when that many keys with the prefix
    /// are live.
    fn replace_within(
        &self,
        key: &str,
        expect: Option<u64>,
        version: u64,
        body: &str,
        within: Option<(&str, usize)>,
    ) -> Result<bool, StoreError> {
        let mut map = self.lock();
        Self::room(&mut map, key, self.cap)?;
        let current = match map.get(key) {
            Some((Value::Record(v, _), _)) => Some(*v),
            _ => None,
        };
        if let (None, Some((prefix, most))) = (current, within) {
            let now = Instant::now();
            let live = map
                .iter()
                .filter(|(k, (_, expires))| k.starts_with(prefix) && *expires > now)
                .count();
            if live >= most {
                return Err(StoreError::Full);
            }
        }
        if current != expect {
            return Ok(false);
        }
        map.insert(
            key.to_string(),
            (
                Value::Record(version, body.to_string()),
                Instant::now() + self.ttl,
            ),
        );
        Ok(true)
    }

    fn take(&self, key: &str, capacity: u64, period: Duration) -> Result<Take, StoreError> {
        let mut map = self.lock();
        Self::room(&mut map, key, self.cap)?;
        let now = Instant::now();
        let cap = capacity as f64;
        let rate = cap / period.as_secs_f64();
        let expires = now + period * 2;
        let entry = map.entry(key.to_string()).or_insert((
            Value::Bucket {
                tokens: cap,
                at: now,
            },
            expires,
        ));
        if !matches!(entry.0, Value::Bucket { .. }) {
            entry.0 = Value::Bucket {
                tokens: cap,
                at: now,
            };
        }
        entry.1 = expires;
        let Value::Bucket { tokens, at } = &mut entry.0 else {
            return Err(StoreError::Unavailable("a bucket is not a bucket".into()));
        };
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(cap);
        *at = now;
        let allowed = *tokens >= 1.0;
        if allowed {
            *tokens -= 1.0;
        }
        let retry_after = if allowed {
            0
        } else {
            ((1.0 - *tokens) / rate).ceil().max(1.0) as u64
        };
        Ok(Take {
            allowed,
            remaining: tokens.floor() as u64,
            retry_after,
        })
    }
}

/// The Redis store: one connection (a manager for one node, a cluster
/// connection that follows `MOVED`/`ASK` for a cluster), made on first use
/// and reconnecting by itself.
pub struct RedisStore {
    url: String,
    client: Backend,
    conn: tokio::sync::Mutex<Option<Link>>,
    ttl: Duration,
    /// The most keys one namespace (flaky, limit, record) holds.
    cap: u64,
}

/// Every Lua script starts by admitting its key into the namespace's index
/// (KEYS[2], a sorted set scored by expiry): expired members are dropped,
/// and a new key is refused when the namespace holds `ARGV[1]` keys.
/// `ARGV[2]` is how long the key lives, in milliseconds.
macro_rules! admitting {
    ($body:literal) => {
        concat!(
            r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZSCORE', KEYS[2], KEYS[1]) == false and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[1]) then
  return -1
end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), KEYS[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
",
            $body
        )
    };
}

const NEXT: &str = admitting!(
    r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return n
"
);

const TAKE: &str = admitting!(
    r"
local cap = tonumber(ARGV[3])
local period = tonumber(ARGV[4])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(data[1])
local at = tonumber(data[2])
if tokens == nil then tokens = cap; at = now end
local rate = cap / period
tokens = math.min(cap, tokens + (now - at) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], period * 2)
local wait = 0
if allowed == 0 then wait = math.max(1, math.ceil((1 - tokens) / rate / 1000)) end
return {allowed, math.floor(tokens), wait}
"
);

const REPLACE: &str = admitting!(
    r"
local current = redis.call('HGET', KEYS[1], 'v')
if (ARGV[3] == '' and current == false) or (current ~= false and current == ARGV[3]) then
  redis.call('HSET', KEYS[1], 'v', ARGV[4], 'body', ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"
);

/// The index of a key's namespace, with the same hash tag:
/// `teapot:{flaky}:x` → `teapot:index:{flaky}`.
fn index_of(key: &str) -> String {
    let ns = key.split(':').nth(1).unwrap_or("{other}");
    format!("teapot:index:{ns}")
}

/// What the store connects to.
enum Backend {
    Single(redis::Client),
    Cluster(Box<ClusterClient>),
}

/// A connection to either.
#[derive(Clone)]
enum Link {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl redis::aio::ConnectionLike for Link {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Link::Single(c) => c.req_packed_command(cmd),
            Link::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Link::Single(c) => c.req_packed_commands(cmd, offset, count),
            Link::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Link::Single(c) => c.get_db(),
            Link::Cluster(c) => c.get_db(),
        }
    }
}

fn down(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl RedisStore {
    async fn connection(&self) -> Result<Link, StoreError> {
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            return Ok(c.clone());
        }
        let made = match &self.client {
            Backend::Single(client) => {
                let config = redis::aio::ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(REDIS_TIMEOUT))
                    .set_response_timeout(Some(REDIS_TIMEOUT))
                    .set_number_of_retries(1);
                tokio::time::timeout(
                    REDIS_TIMEOUT * 2,
                    ConnectionManager::new_with_config(client.clone(), config),
                )
                .await
                .map_err(|_| down("connecting timed out"))?
                .map(Link::Single)
            }
            Backend::Cluster(client) => {
                tokio::time::timeout(REDIS_TIMEOUT * 2, client.get_async_connection())
                    .await
                    .map_err(|_| down("connecting timed out"))?
                    .map(Link::Cluster)
            }
        }
        .map_err(down)?;
        *slot = Some(made.clone());
        Ok(made)
    }

    async fn next(&self, key: &str) -> Result<u64, StoreError> {
        let mut c = self.connection().await?;
        let ttl = self.ttl.as_millis() as u64;
        let n: i64 = redis::Script::new(NEXT)
            .key(key)
            .key(index_of(key))
            .arg(self.cap)
            .arg(ttl)
            .invoke_async(&mut c)
            .await
            .map_err(down)?;
        u64::try_from(n).map_err(|_| StoreError::Full)
    }

    async fn reset(&self, key: &str) -> Result<(), StoreError> {
        let mut c = self.connection().await?;
        redis::cmd("DEL")
            .arg(key)
            .query_async::<()>(&mut c)
            .await
            .map_err(down)
    }

    async fn take(&self, key: &str, capacity: u64, period: Duration) -> Result<Take, StoreError> {
        let mut c = self.connection().await?;
        let reply: redis::Value = redis::Script::new(TAKE)
            .key(key)
            .key(index_of(key))
            .arg(self.cap)
            .arg(period.as_millis() as u64 * 2)
            .arg(capacity)
            .arg(period.as_millis() as u64)
            .invoke_async(&mut c)
            .await
            .map_err(down)?;
        if matches!(reply, redis::Value::Int(-1)) {
            return Err(StoreError::Full);
        }
        let (allowed, remaining, wait): (u64, u64, u64) =
            redis::FromRedisValue::from_redis_value(reply).map_err(down)?;
        Ok(Take {
            allowed: allowed == 1,
            remaining,
            retry_after: wait,
        })
    }

    async fn record(&self, key: &str) -> Result<Option<(u64, String)>, StoreError> {
        let mut c = self.connection().await?;
        let (v, body): (Option<u64>, Option<String>) = redis::cmd("HMGET")
            .arg(key)
            .arg("v")
            .arg("body")
            .query_async(&mut c)
            .await
            .map_err(down)?;
        Ok(v.zip(body))
    }

    async fn replace_capped(
        &self,
        key: &str,
        expect: Option<u64>,
        version: u64,
        body: &str,
        cap: u64,
    ) -> Result<bool, StoreError> {
        let mut c = self.connection().await?;
        let expect = expect.map_or(String::new(), |v| v.to_string());
        let written: i64 = redis::Script::new(REPLACE)
            .key(key)
            .key(index_of(key))
            .arg(cap)
            .arg(self.ttl.as_millis() as u64)
            .arg(expect)
            .arg(version)
            .arg(body)
            .invoke_async(&mut c)
            .await
            .map_err(down)?;
        if written == -1 {
            return Err(StoreError::Full);
        }
        Ok(written == 1)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.connection().await?;
        if let Link::Cluster(_) = c {
            // A node answers PING while the cluster cannot serve its slots;
            // ready means every slot is served.
            let info: String = redis::cmd("CLUSTER")
                .arg("INFO")
                .query_async(&mut c)
                .await
                .map_err(down)?;
            return if info.contains("cluster_state:ok") {
                Ok(())
            } else {
                Err(down("the cluster does not serve every slot"))
            };
        }
        redis::cmd("PING")
            .query_async::<String>(&mut c)
            .await
            .map(|_| ())
            .map_err(down)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_counts_and_resets() {
        let s = Store::open("memory", Duration::from_secs(60)).unwrap();
        assert_eq!(s.next("a").await.unwrap(), 1);
        assert_eq!(s.next("a").await.unwrap(), 2);
        assert_eq!(s.next("b").await.unwrap(), 1);
        s.reset("a").await.unwrap();
        assert_eq!(s.next("a").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn memory_keys_expire() {
        let s = Store::open("memory", Duration::from_millis(30)).unwrap();
        assert_eq!(s.next("a").await.unwrap(), 1);
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(s.next("a").await.unwrap(), 1);
    }

    #[tokio::test]
    async fn memory_bucket() {
        let s = Store::open("memory", Duration::from_secs(60)).unwrap();
        let period = Duration::from_secs(60);
        for left in [2, 1, 0] {
            let t = s.take("k", 3, period).await.unwrap();
            assert_eq!((t.allowed, t.remaining), (true, left));
        }
        let t = s.take("k", 3, period).await.unwrap();
        assert!(!t.allowed);
        assert_eq!(t.retry_after, 20, "one token every 20 s");
    }

    #[tokio::test]
    async fn records_are_compare_and_set() {
        let s = Store::open("memory", Duration::from_secs(60)).unwrap();
        assert_eq!(s.record("r").await.unwrap(), None);
        assert!(s.replace("r", None, 1, "one").await.unwrap());
        assert!(
            !s.replace("r", None, 1, "again").await.unwrap(),
            "only if absent"
        );
        assert!(!s.replace("r", Some(7), 2, "stale").await.unwrap());
        assert!(s.replace("r", Some(1), 2, "two").await.unwrap());
        assert_eq!(s.record("r").await.unwrap(), Some((2, "two".to_string())));
    }

    #[tokio::test]
    async fn trees_are_bounded_in_number() {
        let s = Store::open("memory", Duration::from_secs(60)).unwrap();
        for i in 0..MAX_TREES {
            assert!(s
                .replace_tree(&format!("n{i}"), None, 1, "{}")
                .await
                .unwrap());
        }
        assert!(matches!(
            s.replace_tree("one-more", None, 1, "{}").await,
            Err(StoreError::Full)
        ));
        assert!(
            s.replace_tree("n1", Some(1), 2, "{}").await.unwrap(),
            "an existing tree is still written"
        );
        assert!(
            s.replace("other", None, 1, "x").await.unwrap(),
            "other records are not"
        );
    }

    #[test]
    fn memory_is_bounded() {
        let Store::Memory(m) = Store::open("memory", Duration::from_secs(60)).unwrap() else {
            unreachable!()
        };
        for i in 0..MAX_KEYS {
            m.next(&format!("k{i}")).unwrap();
        }
        assert!(matches!(m.next("one-more"), Err(StoreError::Full)));
        assert_eq!(m.next("k1").unwrap(), 2, "existing keys still count");
    }

    #[test]
    fn specs() {
        assert!(Store::open("memory", Duration::from_secs(1)).is_ok());
        assert!(Store::open("redis://127.0.0.1:6379/0", Duration::from_secs(1)).is_ok());
        assert!(Store::open("postgres://x", Duration::from_secs(1)).is_err());
        assert!(Store::open("redis://[bad", Duration::from_secs(1)).is_err());
        assert!(Store::open(
            "redis+cluster://127.0.0.1:7000,127.0.0.1:7001",
            Duration::from_secs(1)
        )
        .is_ok());
    }

    #[test]
    fn a_key_and_its_index_share_a_hash_tag() {
        let tag = |k: &str| {
            let open = k.find('{').unwrap();
            let close = open + k[open..].find('}').unwrap();
            k[open + 1..close].to_string()
        };
        for key in [
            "teapot:{flaky}:x",
            "teapot:{limit}:a:b",
            "teapot:{record}:grade:{r}:s",
        ] {
            assert_eq!(tag(key), tag(&index_of(key)), "{key}");
        }
    }
}
