/* Unit tests for src/core: durations, sizes, addresses, prefixes, config. */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/netaddr.h"
#include "core/region.h"
#include "core/strutil.h"

static void test_duration(void **state)
{
	uint32_t s;
	assert_int_equal(parse_duration("300", &s), 0);
	assert_int_equal(s, 300);
	assert_int_equal(parse_duration("1h30m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(parse_duration("2w", &s), 0);
	assert_int_equal(s, 1209600);
	assert_int_equal(parse_duration("1W2D3H4M5S", &s), 0);
	assert_int_equal(s, 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
	assert_int_equal(parse_duration("", &s), -1);
	assert_int_equal(parse_duration("h", &s), -1);
	assert_int_equal(parse_duration("5x", &s), -1);
	assert_int_equal(parse_duration("4294967296", &s), -1);
	assert_int_equal(parse_duration("4294967295", &s), 0);
}

static void test_size(void **state)
{
	uint64_t b;
	assert_int_equal(parse_size("10240000", &b), 0);
	assert_int_equal(b, 10240000);
	assert_int_equal(parse_size("10m", &b), 0);
	assert_int_equal(b, 10 * 1024 * 1024);
	assert_int_equal(parse_size("1KB", &b), 0);
	assert_int_equal(b, 1024);
	assert_int_equal(parse_size("-1", &b), -1);
	assert_int_equal(parse_size("10q", &b), -1);
}

static void test_netaddr(void **state)
{
	struct netaddr na;
	char buf[NETADDR_STRLEN];

	assert_int_equal(netaddr_parse("127.0.0.1:5300", 0, &na), 0);
	assert_string_equal(netaddr_format((struct sockaddr *)&na.ss, buf, sizeof(buf)),
			    "127.0.0.1:5300");
	assert_int_equal(netaddr_parse("[::1]:53", 0, &na), 0);
	assert_string_equal(netaddr_format((struct sockaddr *)&na.ss, buf, sizeof(buf)),
			    "[::1]:53");
	assert_int_equal(netaddr_parse("::1", 53, &na), 0);
	assert_int_equal(netaddr_port((struct sockaddr *)&na.ss), 53);
	assert_int_equal(netaddr_parse("127.0.0.1", 0, &na), -1);
	assert_int_equal(netaddr_parse("127.0.0.1:99999", 0, &na), -1);
	assert_int_equal(netaddr_parse("host:25", 0, &na), -1);
}

static void test_cidr(void **state)
{
	struct cidr c;
	struct netaddr na;

	assert_int_equal(cidr_parse("127.0.0.0/8", &c), 0);
	netaddr_parse("127.1.2.3:1", 0, &na);
	assert_true(cidr_match(&c, (struct sockaddr *)&na.ss));
	netaddr_parse("[::ffff:127.0.0.9]:1", 0, &na);
	assert_true(cidr_match(&c, (struct sockaddr *)&na.ss));
	netaddr_parse("128.0.0.1:1", 0, &na);
	assert_false(cidr_match(&c, (struct sockaddr *)&na.ss));
	assert_int_equal(cidr_parse("10.0.0.0/33", &c), -1);
	assert_int_equal(cidr_parse("2001:db8::/33", &c), 0);
	netaddr_parse("[2001:db8:7fff::1]:1", 0, &na);
	assert_true(cidr_match(&c, (struct sockaddr *)&na.ss));
	netaddr_parse("[2001:db8:8000::1]:1", 0, &na);
	assert_false(cidr_match(&c, (struct sockaddr *)&na.ss));
}

static void test_buf_bounds(void **state)
{
	uint8_t data[3] = {1, 2, 3}, out[4];
	struct rbuf r;
	struct wbuf w;
	uint16_t v16;
	uint32_t v32 = 7;

	rbuf_init(&r, data, sizeof(data));
	assert_int_equal(rbuf_u16(&r, &v16), 0);
	assert_int_equal(v16, 0x0102);
	assert_int_equal(rbuf_u32(&r, &v32), -1);
	assert_int_equal(v32, 7);
	wbuf_init(&w, out, sizeof(out));
	assert_int_equal(wbuf_u32(&w, 1), 0);
	assert_int_equal(wbuf_u8(&w, 1), -1);
	assert_true(w.overflow);
}

static char *write_temp(const char *text)
{
	static char path[] = "/tmp/mxhost-test-XXXXXX";
	int fd;
	strcpy(path, "/tmp/mxhost-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_config(void **state)
{
	struct config cfg;
	char err[512];
	char *path = write_temp("[dns]\n"
				"listen = 127.0.0.1:5300 ; repeatable\n"
				"listen = [::1]:5300\n"
				"zone = example.test zones/example.test.zone\n"
				"[smtp]\n"
				"hostname = mx1.example.test\n"
				"spool = /var/spool/mx\n"
				"mynetworks = 127.0.0.0/8, ::1\n"
				"dns_servers = 127.0.0.1:5300\n"
				"retry_min = 1m\n");

	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_true(cfg.dns.enabled);
	assert_int_equal(cfg.dns.nlisten, 2);
	assert_int_equal(cfg.dns.nzones, 1);
	assert_string_equal(cfg.dns.zones[0].name, "example.test");
	assert_string_equal(cfg.dns.zones[0].file, "/tmp/zones/example.test.zone");
	assert_string_equal(cfg.smtp.hostname, "mx1.example.test");
	assert_string_equal(cfg.smtp.spool, "/var/spool/mx");
	assert_int_equal(cfg.smtp.nmynetworks, 2);
	assert_int_equal(cfg.smtp.ndns_servers, 1);
	assert_int_equal(cfg.smtp.retry_min, 60);
	assert_int_equal(cfg.smtp.retry_max, 4 * 3600);
	config_free(&cfg);
	unlink(path);

	path = write_temp("[dns]\nlisten = 127.0.0.1:5300\nlisen = 1\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":3: [dns] lisen: unknown key"));
	config_free(&cfg);
	unlink(path);

	path = write_temp("[smtp]\nretry_min = soon\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: [smtp] retry_min: bad duration"));
	config_free(&cfg);
	unlink(path);
}

static void test_region(void **state)
{
	struct region r = {NULL, 256};
	char *a = region_alloc(&r, 10), *b = region_alloc(&r, 1000), *c;

	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal((uintptr_t)a % 16, 0);
	assert_int_equal((uintptr_t)b % 16, 0);
	memset(a, 'a', 10);
	memset(b, 'b', 1000); /* larger than a chunk: a chunk of its own */
	c = region_strdup(&r, "hello");
	assert_string_equal(c, "hello");
	assert_int_equal(a[9], 'a');
	assert_null(region_alloc(&r, SIZE_MAX));
	region_free(&r);
	assert_null(r.chunks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration),   cmocka_unit_test(test_size),
	    cmocka_unit_test(test_netaddr),    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_buf_bounds), cmocka_unit_test(test_config),
	    cmocka_unit_test(test_region),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
