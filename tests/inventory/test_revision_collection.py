"""A use case whose revisions were already read in this session sees the revision an edit or an import adds
in the same session (the screen and the governance requirements read the newest one)."""

from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory


def test_loaded_revisions_stay_current_in_the_session(db, settings, make_user, actor_of):
    make_user("owner", "submitter@CBP")
    owner = actor_of("owner")
    with db.transaction() as s:
        bid = inventory.create_use_case(s, owner, component="CBP",
                                        values={"use_case_name": "First name", "development_stage": "Pilot"},
                                        reason="new", settings=settings).business_id
    with db.transaction() as s:
        uc = inventory.get_use_case(s, Actor.system("t"), bid)
        assert [r.number for r in uc.revisions] == [1]  # loaded in this session
        inventory.edit_use_case(s, owner, bid, {"use_case_name": "Second name"}, "renamed")
        again = inventory.get_use_case(s, owner, bid)
        assert again is uc and [r.number for r in uc.revisions] == [1, 2]
        assert inventory.current_values(uc)[1]["use_case_name"] == "Second name"
