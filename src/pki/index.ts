// Certificate minting (ca.ts) and fingerprints (fingerprint.ts) for the emulator, the demo mode,
// the self-signed serving certificate and tests.
export { caFromPair, createCA, issueCertificate, issueLoopbackServerCert, type CertificateAuthority, type IssueOptions, type KeyPair } from './ca.js'
export { fingerprint256 } from './fingerprint.js'
