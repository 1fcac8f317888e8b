# Admin key
ADMIN_KEY=$(nexus admin create-user-key admin --description "Admin key" | grep "API Key" | awk '{print $4}')
# Team member keys
ALICE_KEY=$(nexus admin create-user-key alice --description "Alice's key" | grep "API Key" | awk '{print $4}')
BOB_KEY=$(nexus admin create-user-key bob --description "Bob's key" | grep "API Key" | awk '{print $4}')
CAROL_KEY=$(nexus admin create-user-key carol --description "Carol's key" | grep "API Key" | awk '{print $4}')
# Export keys
export NEXUS_URL=http://localhost:2026
export ADMIN_KEY
export ALICE_KEY
export BOB_KEY
export CAROL_KEY
echo "✅ API keys created for all users"
# test epilogue: hand the extracted keys to the test (not part of the tutorial)
echo "TEST KEYS ADMIN_KEY=$ADMIN_KEY ALICE_KEY=$ALICE_KEY BOB_KEY=$BOB_KEY CAROL_KEY=$CAROL_KEY"
# end test epilogue
