//! What a function builds once per process (clients, secrets), started in the background as
//! the process starts so that the runtime polls for work without waiting for the network;
//! the first invocation waits for it. A failed start is not kept: the next invocation retries.

use crate::StartError;
use std::future::Future;
use std::sync::Mutex;
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;

pub struct Started<T: 'static> {
    value: OnceCell<T>,
    first: Mutex<Option<JoinHandle<Result<T, StartError>>>>,
}

impl<T: Send + Sync + 'static> Started<T> {
    /// Starts `start()` now; lives as long as the process.
    pub fn spawn<F, Fut>(start: F) -> &'static Started<T>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, StartError>> + Send + 'static,
    {
        Box::leak(Box::new(Started {
            value: OnceCell::new(),
            first: Mutex::new(Some(tokio::spawn(start()))),
        }))
    }

    /// The value: the background start's, or `again()`'s if that one failed.
    pub async fn get<Fut>(
        &'static self,
        again: impl FnOnce() -> Fut,
    ) -> Result<&'static T, StartError>
    where
        Fut: Future<Output = Result<T, StartError>>,
    {
        self.value
            .get_or_try_init(|| async {
                let first = self.first.lock().ok().and_then(|mut f| f.take());
                match first {
                    Some(task) => task
                        .await
                        .unwrap_or_else(|e| Err(StartError::Secret(e.to_string()))),
                    // Boxed: keeps the callers' future types shallow enough for rustc's layout.
                    None => Box::pin(again()).await,
                }
            })
            .await
            .inspect_err(|e| tracing::error!(error = %e, "start"))
    }
}
