# Install piranha-rs: the five programs, the systemd unit, the configuration
# files and the man pages.
#
#   make build                        cargo build --release --locked (the five programs)
#   make install [DESTDIR=/stage]     install the release binaries built before
#   make uninstall [DESTDIR=/stage]   remove what install put there (the configuration stays)
#
# `install` builds nothing: run `make build` first (as a user), then `make install`
# (as root). Variables (defaults in brackets):
#   PREFIX      [/usr]
#   SBINDIR     [$(PREFIX)/sbin]   pulse, lvsd, nanny, send_arp, lvsctl
#   SYSCONFDIR  [/etc]             sysconfig/pulse, sysconfig/ha/lvs.cf
#   UNITDIR     [pkg-config --variable=systemdsystemunitdir systemd, else /usr/lib/systemd/system]
#   MANDIR      [$(PREFIX)/share/man]
#   DOCDIR      [$(PREFIX)/share/doc/piranha-rs]   lvs.cf.sample
#   MANCOMPRESS [gzip]             empty: install the pages uncompressed
#   RELEASE_DIR [$(CARGO_TARGET_DIR)/release, else target/release]   where the binaries are
#
# The configuration files are never overwritten: an existing
# $(SYSCONFDIR)/sysconfig/pulse or $(SYSCONFDIR)/sysconfig/ha/lvs.cf is kept (the sample
# is always in $(DOCDIR)/lvs.cf.sample). pulse starts /usr/sbin/lvsd and lvsd starts
# /usr/sbin/nanny (or the nanny beside it): with another SBINDIR the unit is given
# --lvsd=$(SBINDIR)/lvsd.

PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/piranha-rs
UNITDIR ?= $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/usr/lib/systemd/system)
MANCOMPRESS ?= gzip
DESTDIR ?=
CARGO ?= cargo
RELEASE_DIR ?= $(or $(CARGO_TARGET_DIR),target)/release

PROGRAMS := pulse lvsd nanny send_arp lvsctl
MAN8 := $(addsuffix .8,$(PROGRAMS))
MAN5 := lvs.cf.5
INSTALL ?= install

# gzip -n: no name or time stamp in the header, so the pages are reproducible.
ifeq ($(MANCOMPRESS),gzip)
  MANSUFFIX := .gz
  install_man = gzip -9nc $(1) >$(2).gz && chmod 0644 $(2).gz
else ifeq ($(MANCOMPRESS),)
  MANSUFFIX :=
  install_man = $(INSTALL) -m 0644 $(1) $(2)
else
  $(error MANCOMPRESS must be gzip or empty, not '$(MANCOMPRESS)')
endif

ifeq ($(SBINDIR),/usr/sbin)
  UNIT_SED := s|/usr/sbin/pulse |$(SBINDIR)/pulse |
else
  UNIT_SED := s|/usr/sbin/pulse |$(SBINDIR)/pulse --lvsd=$(SBINDIR)/lvsd |
endif

.PHONY: all build install uninstall

all: build

build:
	$(CARGO) build --release --locked $(addprefix -p ,$(PROGRAMS)) --bins

install:
	@for p in $(PROGRAMS); do \
	    test -x '$(RELEASE_DIR)'/$$p || { echo "make install: $(RELEASE_DIR)/$$p is not built: run 'make build' (or set RELEASE_DIR)" >&2; exit 1; }; \
	done
	$(INSTALL) -d -m 0755 '$(DESTDIR)$(SBINDIR)' '$(DESTDIR)$(UNITDIR)' \
	    '$(DESTDIR)$(SYSCONFDIR)/sysconfig/ha' '$(DESTDIR)$(MANDIR)/man5' \
	    '$(DESTDIR)$(MANDIR)/man8' '$(DESTDIR)$(DOCDIR)'
	for p in $(PROGRAMS); do $(INSTALL) -m 0755 '$(RELEASE_DIR)'/$$p '$(DESTDIR)$(SBINDIR)'/$$p || exit 1; done
	sed -e '$(UNIT_SED)' systemd/pulse.service >'$(DESTDIR)$(UNITDIR)/pulse.service'
	chmod 0644 '$(DESTDIR)$(UNITDIR)/pulse.service'
	$(INSTALL) -m 0644 etc/sysconfig/ha/lvs.cf '$(DESTDIR)$(DOCDIR)/lvs.cf.sample'
	@for f in sysconfig/pulse sysconfig/ha/lvs.cf; do \
	    if test -e '$(DESTDIR)$(SYSCONFDIR)'/$$f; then \
	        echo "make install: keeping the existing $(DESTDIR)$(SYSCONFDIR)/$$f"; \
	    else \
	        echo "$(INSTALL) -m 0644 etc/$$f $(DESTDIR)$(SYSCONFDIR)/$$f"; \
	        $(INSTALL) -m 0644 etc/$$f '$(DESTDIR)$(SYSCONFDIR)'/$$f || exit 1; \
	    fi; \
	done
	@set -e; for page in $(MAN8); do $(call install_man,man/$$page,'$(DESTDIR)$(MANDIR)/man8/'$$page); \
	    echo "man/$$page -> $(DESTDIR)$(MANDIR)/man8/$$page$(MANSUFFIX)"; done
	@$(call install_man,man/$(MAN5),'$(DESTDIR)$(MANDIR)/man5/$(MAN5)')
	@echo "man/$(MAN5) -> $(DESTDIR)$(MANDIR)/man5/$(MAN5)$(MANSUFFIX)"

uninstall:
	rm -f $(foreach p,$(PROGRAMS),'$(DESTDIR)$(SBINDIR)/$(p)') \
	    '$(DESTDIR)$(UNITDIR)/pulse.service' '$(DESTDIR)$(DOCDIR)/lvs.cf.sample' \
	    $(foreach page,$(MAN8),'$(DESTDIR)$(MANDIR)/man8/$(page)' '$(DESTDIR)$(MANDIR)/man8/$(page).gz') \
	    '$(DESTDIR)$(MANDIR)/man5/$(MAN5)' '$(DESTDIR)$(MANDIR)/man5/$(MAN5).gz'
	rmdir '$(DESTDIR)$(DOCDIR)' 2>/dev/null || true
	@echo "make uninstall: $(DESTDIR)$(SYSCONFDIR)/sysconfig/pulse and $(DESTDIR)$(SYSCONFDIR)/sysconfig/ha/lvs.cf are left in place (remove them by hand)"
