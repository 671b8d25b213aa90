use crate::helpers::*;

both_backends! {
    async fn health_and_readiness(app) {
        let r = app.get("/healthz").await;
        assert_eq!(r.status(), 200);
        let r = app.get("/readyz").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ready");
    }

    async fn readiness_fails_while_the_database_is_down(app) {
        let outage = app.stop_database().await;
        let r = app.get("/readyz").await;
        assert_eq!(r.status(), 503);
        // Liveness does not depend on the database.
        assert_eq!(app.get("/healthz").await.status(), 200);
        outage.end().await;
        let mut ready = false;
        for _ in 0..50 {
            if app.get("/readyz").await.status() == 200 {
                ready = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(ready, "readiness came back after the outage");
    }

    async fn metrics_count_outcomes_and_messages(app) {
        let body = text_payload(KALIPLOSO_NUMBER, "wamid.metrics1", "6281234567890", "Bu Sri", "halo");
        assert_eq!(app.post_webhook(body.clone()).await.status(), 200);
        assert_eq!(app.post_webhook(body).await.status(), 200);
        assert_eq!(app.post_webhook_with_signature("{}", None).await.status(), 401);
        let text = app.get("/metrics").await.text().await.unwrap();
        assert!(text.contains("kentongan_webhook_requests_total{outcome=\"stored\"} 2"), "{text}");
        assert!(text.contains("kentongan_webhook_requests_total{outcome=\"unauthorized\"} 1"), "{text}");
        assert!(text.contains("kentongan_messages_stored_total 1"), "{text}");
        assert!(text.contains("kentongan_messages_duplicate_total 1"), "{text}");
        assert!(text.contains("kentongan_webhook_processing_seconds_count 3"), "{text}");
        // Metrics never carry the sender's number.
        assert!(!text.contains("6281234567890"));
    }
}
