//! CHECK: one module per troubleshooting step; each check reads facts and returns findings.
