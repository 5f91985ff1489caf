#!lua name=bench
-- The Lua side of the equal-work benchmark (benches/fcall/run.sh): exactly
-- what benches/fcall/plugins/check does — an '@', then a '.' after it.
redis.register_function{
  function_name = 'check_email',
  callback = function(keys, args)
    local s = args[1]
    local at = string.find(s, '@', 1, true)
    if not at then return 0 end
    if string.find(s, '.', at + 1, true) then return 1 end
    return 0
  end,
  flags = { 'no-writes' },
}
