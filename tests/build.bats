#!/usr/bin/env bats
# The build: make install honours PREFIX and DESTDIR, and uninstall undoes it.

setup() {
	load test_helper
	cd "$AUD_ROOT"
}

@test "make install puts tools and pages under DESTDIR/PREFIX, uninstall removes them" {
	local dest=$BATS_TEST_TMPDIR/root
	run -0 make --no-print-directory install PREFIX=/opt/aud DESTDIR="$dest"
	[ -x "$dest/opt/aud/bin/aud-prepare" ]
	[ -x "$dest/opt/aud/bin/aud-cat" ]
	[ -f "$dest/opt/aud/share/man/man1/aud-prepare.1" ]
	[ -f "$dest/opt/aud/share/man/man5/aud-stream.5" ]
	run -0 "$dest/opt/aud/bin/aud-cat" --version
	run -0 make --no-print-directory uninstall PREFIX=/opt/aud DESTDIR="$dest"
	[ -z "$(find "$dest" -type f)" ]
}
