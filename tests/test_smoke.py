from tests.conftest import Account, GraphQLClient


async def test_registered_user_sees_themself_as_viewer(gql: GraphQLClient, account: Account):
    data = await gql.data(
        "{ viewer { id email profile { id displayName } } }", token=account.access_token
    )
    assert data["viewer"]["email"] == account.email
    assert data["viewer"]["profile"]["id"] == account.profile_id
