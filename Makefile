# certdeck — see README.md. `make`, `make check`, `make asan`, `make demo`.

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
PKGS	 = openssl zlib ncursesw sqlite3 libgit2 libssh2 yaml-0.1 libcurl jansson libp11 p11-kit-1
# Debian packages needed to build and to test (see .ci/run).
DEB_BUILD = build-essential pkg-config libssl-dev zlib1g-dev libncurses-dev libsqlite3-dev \
	    libgit2-dev libssh2-1-dev libcmocka-dev libyaml-dev libcurl4-openssl-dev \
	    libjansson-dev libp11-dev libp11-kit-dev
DEB_TEST  = git sqlite3 openssl tmux faketime python3-yaml nginx pebble lego curl \
	    openssh-server fcgiwrap softhsm2 opensc p11-kit-modules clang \
	    groff-base man-db

# CFLAGS is the user's (and make asan's) to set; the language and warning
# flags below always apply.
CFLAGS	?= -O2 -g
CD_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	   -Wshadow -Wstrict-prototypes -Wmissing-prototypes
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -Ilib -Istore -Icore -Icli $(PKG_CFLAGS)
CPPFLAGS += -DCERTDECK_DATADIR=\"$(PREFIX)/share/certdeck\"
# The PKCS#11 module certdeck loads unless a URI names another (core/hsm.c).
P11_PROXY := $(shell pkg-config --variable=proxy_module p11-kit-1 2>/dev/null)
CPPFLAGS += $(if $(P11_PROXY),-DHSM_PROXY_MODULE=\"$(P11_PROXY)\")
LDLIBS	+= $(PKG_LIBS) -lpthread

LIB_SRC	  = $(wildcard lib/*.c) $(wildcard store/*.c) $(wildcard core/*.c)
FRONT_SRC = $(filter-out cli/main.c,$(wildcard cli/*.c)) $(wildcard tui/*.c)
LIB_OBJ	  = $(LIB_SRC:.c=.o)
FRONT_OBJ = $(FRONT_SRC:.c=.o)
UNIT_SRC  = $(wildcard tests/unit/test_*.c)
UNIT_BIN  = $(UNIT_SRC:.c=)

all: deps certdeck

certdeck: $(LIB_OBJ) $(FRONT_OBJ) cli/main.o
	$(CC) $(CD_CFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Packages come first, also under -j (order-only: deps never forces a rebuild).
%.o: %.c | deps
	$(CC) $(CD_CFLAGS) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c $(LIB_OBJ) tests/unit/testutil.o
	$(CC) $(CD_CFLAGS) $(CFLAGS) $(LDFLAGS) $(CPPFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The theme file parser and the user config are curses-free: their test
# links them alone.
tests/unit/test_theme: tui/theme_parse.o tui/uconf.o

unit: $(UNIT_BIN)

# Every test: unit tests, then the end-to-end scripts against the real binary.
check: deps certdeck $(UNIT_BIN)
	@tests/run

# Speed targets as ratios against baselines in the same run (bench/README.md).
bench: certdeck
	bench/run
.PHONY: bench

# A demo inventory in a temporary directory, opened in the terminal UI;
# removed when the UI exits.
demo: certdeck
	tests/demo/make-demo
.PHONY: demo

asan:
	$(MAKE) clean
	$(MAKE) CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
		LDFLAGS="-fsanitize=address,undefined" check
	$(MAKE) clean

# Check for the Debian packages we need; install them as root, otherwise
# print the exact command.
deps:
	@missing=""; for p in $(DEB_BUILD) $(DEB_TEST); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
		else \
			echo "certdeck needs Debian packages:$$missing"; \
			echo "run: sudo apt-get install$$missing"; exit 1; \
		fi; \
	fi

# libFuzzer targets, built with clang and the sanitizers; fuzz/run runs them.
# The library is compiled once for all of them (fuzz/obj/), all of it, so
# a new file in core/ or store/ cannot break the link.
FUZZ_FLAGS = -g -O1 -fsanitize=address,undefined -std=c11 -D_GNU_SOURCE
FUZZ_OBJ = $(LIB_SRC:%.c=fuzz/obj/%.o)
FUZZ_BIN = fuzz/fuzz_load fuzz/fuzz_entry fuzz/fuzz_config fuzz/fuzz_k8s \
	   fuzz/fuzz_gitindex
fuzz: $(FUZZ_BIN)
$(FUZZ_OBJ): fuzz/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(CPPFLAGS) -MMD -MP -c -o $@ $<
fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJ)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer $(CPPFLAGS) -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS) -lpthread

install: certdeck
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/certdeck/themes
	install -m 755 certdeck $(DESTDIR)$(PREFIX)/bin/certdeck
	install -m 644 certdeck.1 $(DESTDIR)$(PREFIX)/share/man/man1/certdeck.1
	for t in themes/*; do [ -f "$$t" ] && install -m 644 "$$t" $(DESTDIR)$(PREFIX)/share/certdeck/themes/; done; true

clean:
	rm -f certdeck */*.o */*.d tests/unit/*.o tests/unit/*.d $(UNIT_BIN) \
		$(FUZZ_BIN)
	rm -rf fuzz/obj

.PHONY: all check unit asan deps install clean fuzz
-include $(wildcard */*.d tests/unit/*.d fuzz/obj/*/*.d)
