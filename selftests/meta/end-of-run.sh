#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The last script of every run (run_tests.sh adds it): what the run's last
# teardown leaked shows in the kernel log only after the unregister
# timeout, and with no pair left the module must unload. See end_of_run.
# shellcheck source=lib.sh
source ./lib.sh

end_of_run
