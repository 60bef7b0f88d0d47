/* lws_echo — a minimal libwebsockets (Debian libwebsockets-dev) WebSocket echo
 * server, the kernel-TCP peer of tools/bench/idle-connections.
 *
 *   lws_echo PORT [PROCESSES]
 *
 * A process may hold at most 20,000 open files here, so PROCESSES copies are
 * forked, copy i listening on PORT + i (wsload --target-ports spreads the
 * connections). Debian's lws 4.1.6 refuses a second listener on one port even
 * with LWS_SERVER_OPTION_ALLOW_LISTEN_SHARE (bind: EADDRINUSE), hence ports. An idle connection keeps only
 * what libwebsockets itself keeps: a message waiting to be echoed is held in
 * a malloc'd buffer only until it is written. SIGTERM stops every process.
 */
#include <libwebsockets.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct pss {
  unsigned char *buf; /* LWS_PRE + len bytes while an echo is pending */
  size_t len;
  int binary;
};

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static int callback_echo(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
  struct pss *p = (struct pss *)user;
  switch (reason) {
    case LWS_CALLBACK_RECEIVE: {
      unsigned char *nb = realloc(p->buf, LWS_PRE + p->len + len);
      if (!nb) return -1;
      p->buf = nb;
      memcpy(p->buf + LWS_PRE + p->len, in, len);
      p->len += len;
      p->binary = lws_frame_is_binary(wsi);
      if (lws_is_final_fragment(wsi)) lws_callback_on_writable(wsi);
      break;
    }
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (p->buf) {
        int n = lws_write(wsi, p->buf + LWS_PRE, p->len, p->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
        free(p->buf);
        p->buf = NULL;
        p->len = 0;
        if (n < 0) return -1;
      }
      break;
    case LWS_CALLBACK_CLOSED:
      free(p->buf);
      p->buf = NULL;
      break;
    default:
      break;
  }
  return 0;
}

static const struct lws_protocols protocols[] = {
    {"echo", callback_echo, sizeof(struct pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static int serve(int port) {
  struct lws_context_creation_info info;
  memset(&info, 0, sizeof info);
  info.port = port;
  info.protocols = protocols; /* the first protocol serves connections without a subprotocol */
  info.timeout_secs = 3600;
  struct lws_context *ctx = lws_create_context(&info);
  if (!ctx) {
    fprintf(stderr, "lws_echo: lws_create_context failed\n");
    return 1;
  }
  while (!stop && lws_service(ctx, 0) >= 0) {
  }
  lws_context_destroy(ctx);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: lws_echo PORT [PROCESSES]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int procs = argc == 3 ? atoi(argv[2]) : 1;
  if (port <= 0 || port > 65535 || procs < 1 || procs > 256 || port + procs - 1 > 65535) {
    fprintf(stderr, "lws_echo: bad PORT or PROCESSES\n");
    return 2;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  lws_set_log_level(LLL_ERR, NULL);
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  if (procs == 1) {
    printf("lws_echo: 1 process on port %d\n", port);
    fflush(stdout);
    return serve(port);
  }

  pid_t kids[256];
  for (int i = 0; i < procs; i++) {
    kids[i] = fork();
    if (kids[i] == 0) _exit(serve(port + i));
    if (kids[i] < 0) {
      perror("lws_echo: fork");
      procs = i;
      break;
    }
  }
  printf("lws_echo: %d process(es) on ports %d-%d\n", procs, port, port + procs - 1);
  fflush(stdout);
  while (!stop) pause();
  for (int i = 0; i < procs; i++) kill(kids[i], SIGTERM);
  for (int i = 0; i < procs; i++) waitpid(kids[i], NULL, 0);
  return 0;
}
