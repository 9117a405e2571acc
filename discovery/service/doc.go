// Package service is a discovery.etcd.io-compatible token service (SPEC §7.2), backed by
// any etcd v2 keys API (our own server or the reference).
//
// GET /new?size=N creates the token directory /_etcd/registry/<token> on the backend
// with _config/size = N and answers the public URL of the token; members started with
// that URL as --discovery then talk to /<token>[/…], which is a transparent reverse
// proxy of <backend>/v2/keys/_etcd/registry/<token>[/…]: method, query, body, status,
// headers and streamed bodies (watches) pass unchanged, so the members run the plain
// keys protocol of the discovery package.
//
// Beyond the original service: GET /<token>?status summarises a token (size,
// registrations, waiting or complete), and a token may be created with a TTL on its
// directory, so that tokens never completed disappear from the backend; the TTL is
// removed once size members have registered through the service.
package service
