"""defer_reverts combinations."""
from taskflow import retry
from taskflow.patterns import linear_flow as lf
from taskflow.patterns import unordered_flow as uf

from common import T, run, save

S = {}
# inner AlwaysRevert, outer Times(2), defer_reverts: the outer retry still retries
S['defer_inner_always_revert_outer_times'], _ = run(lf.Flow('outer', retry=retry.Times(2, name='r_outer', provides='oa')).add(
    T('pre', ret='P'),
    lf.Flow('inner', retry=retry.AlwaysRevert('r_inner')).add(
        T('b', requires=['oa'], fail=lambda kw: 'b oa=%d' % kw['oa'] if kw['oa'] < 2 else None))), defer_reverts=True)

# inner Times exhausted in an unordered flow next to a sibling, no parent retry, defer_reverts
S['defer_inner_times_unordered_sibling'], _ = run(lf.Flow('top').add(
    T('pre', ret='P'),
    uf.Flow('u').add(
        lf.Flow('inner', retry=retry.Times(2, name='r', provides='n')).add(T('b', requires=['n'], fail='b failed')),
        T('sib', ret='S')),
    T('post')), defer_reverts=True)

# same without defer_reverts
S['nodefer_inner_times_unordered_sibling'], _ = run(lf.Flow('top').add(
    T('pre', ret='P'),
    uf.Flow('u').add(
        lf.Flow('inner', retry=retry.Times(2, name='r', provides='n')).add(T('b', requires=['n'], fail='b failed')),
        T('sib', ret='S')),
    T('post')))
save('defer', S)
