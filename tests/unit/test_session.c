/*
 * The session API (tool/session.h): a profile loaded once, reports into
 * buffers, the same bytes from several threads at once, errors as codes
 * with their reason.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "tool/report/kinds.h"
#include "tool/session.h"
#include "unit.h"

/* A fixture of the source tree (the tests run from its top, or CPROF_SRCDIR). */
static char *fixture(const char *name)
{
    const char *top = getenv("CPROF_SRCDIR");
    char *path = NULL;

    CPROF_ASSERT(asprintf(&path, "%s/tests/fixtures/go/%s", top ? top : ".", name) > 0);
    return path;
}

static void load(struct cprof_session *s, const char *name)
{
    struct cprof_diag diag = {0};
    char *path = fixture(name);

    cprof_session_init(s);
    s->notes = NULL;
    s->opts.report.warn = NULL;
    s->keep_profile = true;
    CPROF_ASSERT_EQ(cprof_session_load(s, &path, 1, NULL, true, &diag), 0);
    s->symbolize = "none";
    CPROF_ASSERT_EQ(cprof_session_symbolize(s, &diag), 0);
    free(path);
}

struct job {
    struct cprof_session *s;
    const char *format;
    struct cprof_buf out;
    int rc;
};

static void *run_job(void *arg)
{
    struct job *j = arg;
    struct cprof_diag diag = {0};

    cprof_buf_init(&j->out, 0);
    j->rc = cprof_session_report_buf(j->s, NULL, cprof_report_format_find(j->format), NULL, &j->out,
                                     &diag);
    return NULL;
}

CPROF_TEST(session_reports_from_threads_agree)
{
    static const char *const formats[] = {"top", "dot", "traces", "raw", "proto", "tree"};
    struct cprof_session s;
    struct job one[6], many[6];
    pthread_t t[6];

    load(&s, "cpu.pb.gz");
    for (int i = 0; i < 6; i++) {
        one[i] = (struct job){.s = &s, .format = formats[i]};
        run_job(&one[i]);
        CPROF_ASSERT_EQ(one[i].rc, 0);
        CPROF_ASSERT(one[i].out.len > 100);
    }
    for (int i = 0; i < 6; i++) {
        many[i] = (struct job){.s = &s, .format = formats[i]};
        CPROF_ASSERT_EQ(pthread_create(&t[i], NULL, run_job, &many[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        CPROF_ASSERT_EQ(pthread_join(t[i], NULL), 0);
        CPROF_ASSERT_EQ(many[i].rc, 0);
        CPROF_ASSERT_EQ(many[i].out.len, one[i].out.len);
        CPROF_ASSERT(memcmp(many[i].out.data, one[i].out.data, one[i].out.len) == 0);
        cprof_buf_release(&one[i].out);
        cprof_buf_release(&many[i].out);
    }
    cprof_session_release(&s);
}

CPROF_TEST(session_options_per_report)
{
    struct cprof_session s;
    struct cprof_session_opts o;
    struct cprof_diag diag = {0};
    struct cprof_buf all, few;
    const struct cprof_report_format *top = cprof_report_format_find("top");

    load(&s, "cpu.pb.gz");
    o = s.opts;
    o.report.nodecount = 2;
    cprof_buf_init(&all, 0);
    cprof_buf_init(&few, 0);
    CPROF_ASSERT_EQ(cprof_session_report_buf(&s, NULL, top, NULL, &all, &diag), 0);
    CPROF_ASSERT_EQ(cprof_session_report_buf(&s, &o, top, NULL, &few, &diag), 0);
    CPROF_ASSERT(few.len < all.len);
    CPROF_ASSERT_EQ(s.opts.report.nodecount, -1); /* the session's own options stay */
    cprof_buf_release(&all);
    cprof_buf_release(&few);
    cprof_session_release(&s);
}

CPROF_TEST(session_errors_come_back_with_reason)
{
    struct cprof_session s;
    struct cprof_session_opts o;
    struct cprof_diag diag = {0};
    struct cprof_buf out;
    char *missing = fixture("no-such-profile.pb.gz");

    cprof_session_init(&s);
    s.notes = NULL;
    CPROF_ASSERT(cprof_session_load(&s, &missing, 1, NULL, true, &diag) < 0);
    CPROF_ASSERT(strstr(diag.msg, "no-such-profile.pb.gz: ") != NULL);
    CPROF_ASSERT(s.prof == NULL);
    free(missing);
    cprof_session_release(&s);

    load(&s, "cpu.pb.gz");
    o = s.opts;
    o.report.sample_index = "bogus";
    cprof_buf_init(&out, 0);
    memset(&diag, 0, sizeof(diag));
    CPROF_ASSERT_EQ(
        cprof_session_report_buf(&s, &o, cprof_report_format_find("raw"), NULL, &out, &diag),
        CPROF_EUSAGE);
    CPROF_ASSERT(strstr(diag.msg, "sample_index \"bogus\" must be one of: [") == diag.msg);
    CPROF_ASSERT_EQ(out.len, 0);
    memset(&diag, 0, sizeof(diag));
    CPROF_ASSERT_EQ(
        cprof_session_report_buf(&s, NULL, cprof_report_format_find("list"), NULL, &out, &diag),
        CPROF_EUSAGE);
    CPROF_ASSERT_STR(diag.msg, "this report needs a regexp argument");
    cprof_buf_release(&out);
    cprof_session_release(&s);
}
