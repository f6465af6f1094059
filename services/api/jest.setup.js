// Integration tests wait on the real Kafka and PostgreSQL (see jest.config.js).
jest.setTimeout(60_000);
