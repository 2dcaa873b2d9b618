#!/bin/sh
# check_list.py must catch a broken list: on a copy of tests.cmake with test_abs dropped, an exclusion without its
# reason and a listed test that does not exist, it must fail (exit 1) and name all three.
#   sh check_list_selftest.sh PYTHON TESTS_CMAKE ONNXQ DATA_ROOT WORK_DIR
set -u
python=$1 list=$2 onnxq=$3 root=$4 work=$5
mkdir -p "$work" || exit 2
sed -e '/^  test_abs$/d' -e 's/^  # test_cast_FLOAT_to_STRING  # .*/  # test_cast_FLOAT_to_STRING/' \
    -e 's/^  test_ceil_example$/  test_ceil_no_such_test/' "$list" >"$work/tests.cmake" || exit 2
out=$("$python" "$(dirname "$0")/check_list.py" "$work/tests.cmake" "$onnxq" "$root")
rc=$?
echo "$out"
[ "$rc" -eq 1 ] || { echo "FAIL: check_list.py exited $rc, expected 1"; exit 1; }
for want in 'neither listed nor excluded: node/test_abs:' 'test_cast_FLOAT_to_STRING is excluded without a reason' \
            'listed test node/test_ceil_no_such_test does not exist'; do
  echo "$out" | grep -qF "$want" || { echo "FAIL: not reported: $want"; exit 1; }
done
echo "check_list.py caught all three"
