#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noshell
%%
%% Phoenix.Token in Erlang, as Plug.Crypto 2.1 implements it (Plug.Crypto.sign/4,
%% verify/4, MessageVerifier, KeyGenerator), on OTP's own term_to_binary,
%% binary_to_term, crypto:pbkdf2_hmac and crypto:mac: the reference that
%% phx::token is checked against. No Elixir needed; OTP 25 or later
%% (Debian bookworm: erlang-base and erlang-crypto).
%%
%%   phoenix_token.escript sign SECRET SALT TERM [SIGNED_AT_MS [MAX_AGE_S|infinity]]
%%   phoenix_token.escript verify SECRET SALT TOKEN [MAX_AGE_S|infinity|- [NOW_MS]]
%%   phoenix_token.escript interop PHX_TOKEN_TOOL
%%
%% TERM is Erlang term text ('#{<<"id">> => 42}'); verify prints {ok, Term}
%% or {error, Reason}. `interop` runs the checks of tests/interop/token_interop.sh
%% against the C++ tool (tests/interop/phx_token_tool.cpp) and exits non-zero
%% on any failure.
-mode(compile).

-define(MAX_AGE, 86400).

main(["sign", Secret, Salt, TermText | Rest]) ->
    Opts = case Rest of
               [] -> #{};
               [At] -> #{signed_at_ms => list_to_integer(At)};
               [At, Age] -> #{signed_at_ms => list_to_integer(At), max_age => max_age_arg(Age)}
           end,
    io:format("~s~n", [sign(Secret, Salt, parse_term(TermText), Opts)]);
main(["verify", Secret, Salt, Token | Rest]) ->
    Opts = case Rest of
               [] -> #{};
               ["-"] -> #{};
               ["-", Now] -> #{now_ms => list_to_integer(Now)};
               [Age] -> #{max_age => max_age_arg(Age)};
               [Age, Now] -> #{max_age => max_age_arg(Age), now_ms => list_to_integer(Now)}
           end,
    io:format("~w~n", [verify(Secret, Salt, list_to_binary(Token), Opts)]);
main(["interop", Tool]) ->
    require_crypto(),
    interop(Tool);
main(_) ->
    io:format(standard_error, "usage: see the header of ~s~n", [escript:script_name()]),
    halt(2).

%% ---- Plug.Crypto ----------------------------------------------------------

%% Plug.Crypto.sign/4 (Phoenix.Token.sign/4). `minor_version` is not
%% Plug's: OTP 25 writes atoms as ATOM_EXT unless asked for OTP 26's
%% SMALL_ATOM_UTF8_EXT, which phx::token writes; tests compare both.
sign(KeyBase, Salt, Data, Opts) ->
    SignedAt = maps:get(signed_at_ms, Opts, os:system_time(millisecond)),
    MaxAge = maps:get(max_age, Opts, ?MAX_AGE),
    Etf = term_to_binary({Data, SignedAt, MaxAge},
                         [{minor_version, maps:get(minor_version, Opts, 1)}]),
    message_sign(Etf, key(KeyBase, Salt)).

%% Plug.Crypto.verify/4 (Phoenix.Token.verify/4); `now_ms` replaces the clock.
verify(_KeyBase, _Salt, nil, _Opts) ->
    {error, missing};
verify(KeyBase, Salt, Token, Opts) when is_binary(Token) ->
    case message_verify(Token, key(KeyBase, Salt)) of
        {ok, Message} -> decode(Message, Opts);
        error -> {error, invalid}
    end.

decode(Message, Opts) ->
    {Data, Signed, MaxAge} =
        case non_executable_binary_to_term(Message) of
            {D, S, M} -> {D, S, M};
            {D, S} -> {D, S, ?MAX_AGE};
            #{data := D, signed := S} -> {D, S, ?MAX_AGE}
        end,
    Now = maps:get(now_ms, Opts, os:system_time(millisecond)),
    case expired(Signed, maps:get(max_age, Opts, MaxAge), Now) of
        true -> {error, expired};
        false -> {ok, Data}
    end.

%% Plug.Crypto 2.1.1's expired?/2 (later versions also call a token signed
%% in the future invalid).
expired(_Signed, infinity, _Now) -> false;
expired(_Signed, MaxAge, _Now) when MaxAge =< 0 -> true;
expired(Signed, MaxAge, Now) -> Signed + trunc(MaxAge * 1000) < Now.

%% Plug.Crypto.non_executable_binary_to_term/2, with [safe] as the brief of
%% phx::token asks: no new atoms, no funs.
non_executable_binary_to_term(Bin) ->
    Term = binary_to_term(Bin, [safe]),
    ok = non_executable(Term),
    Term.

non_executable(L) when is_list(L) -> non_executable_list(L);
non_executable(T) when is_tuple(T) -> lists:foreach(fun non_executable/1, tuple_to_list(T));
non_executable(M) when is_map(M) ->
    maps:foreach(fun(K, V) -> non_executable(K), non_executable(V) end, M);
non_executable(X) when is_atom(X); is_number(X); is_bitstring(X); is_pid(X);
                       is_reference(X) -> ok;
non_executable(X) -> error({not_safe_for_deserialization, X}).

non_executable_list([]) -> ok;
non_executable_list([H | T]) when is_list(T) -> non_executable(H), non_executable_list(T);
non_executable_list([H | T]) -> non_executable(H), non_executable(T).

%% Plug.Crypto.KeyGenerator with Plug.Crypto.sign's defaults.
key(KeyBase, Salt) ->
    crypto:pbkdf2_hmac(sha256, iolist_to_binary(KeyBase), iolist_to_binary(Salt), 1000, 32).

%% Plug.Crypto.MessageVerifier.sign/3 with :sha256.
message_sign(Payload, Key) ->
    PlainText = <<"SFMyNTY.", (url_encode64(Payload))/binary>>,
    Signature = crypto:mac(hmac, sha256, Key, PlainText),
    <<PlainText/binary, ".", (url_encode64(Signature))/binary>>.

%% Plug.Crypto.MessageVerifier.verify/2.
message_verify(Signed, Key) ->
    case binary:split(Signed, <<".">>, [global]) of
        [Protected, Payload, Signature] ->
            case {digest(Protected), url_decode64(Payload), url_decode64(Signature)} of
                {{ok, Digest}, {ok, Message}, {ok, Mac}} ->
                    Challenge = crypto:mac(hmac, Digest, Key, [Protected, $., Payload]),
                    case secure_compare(Challenge, Mac) of
                        true -> {ok, Message};
                        false -> error
                    end;
                _ ->
                    error
            end;
        _ ->
            error
    end.

digest(<<"SFMyNTY">>) -> {ok, sha256};
digest(<<"SFMzODQ">>) -> {ok, sha384};
digest(<<"SFM1MTI">>) -> {ok, sha512};
digest(_) -> error.

%% Plug.Crypto.secure_compare/2.
secure_compare(A, B) when byte_size(A) =:= byte_size(B) ->
    lists:foldl(fun({X, Y}, Acc) -> Acc bor (X bxor Y) end, 0,
                lists:zip(binary_to_list(A), binary_to_list(B))) =:= 0;
secure_compare(_, _) ->
    false.

%% Base.url_encode64(B, padding: false). (base64's `mode` option is OTP 26.)
url_encode64(Bin) ->
    << <<(url_char(C))>> || <<C>> <= base64:encode(Bin), C =/= $= >>.

url_char($+) -> $-;
url_char($/) -> $_;
url_char(C) -> C.

%% Base.url_decode64(B, padding: false).
url_decode64(Text) ->
    Valid = lists:all(fun(C) -> (C >= $A andalso C =< $Z) orelse (C >= $a andalso C =< $z)
                                    orelse (C >= $0 andalso C =< $9) orelse C =:= $-
                                    orelse C =:= $_ end, binary_to_list(Text)),
    Pad = case byte_size(Text) rem 4 of 0 -> <<>>; 2 -> <<"==">>; 3 -> <<"=">>; 1 -> bad end,
    case {Valid, Pad} of
        {true, P} when is_binary(P) ->
            Std = << <<(std_char(C))>> || <<C>> <= Text >>,
            try {ok, base64:decode(<<Std/binary, P/binary>>)} catch _:_ -> error end;
        _ ->
            error
    end.

std_char($-) -> $+;
std_char($_) -> $/;
std_char(C) -> C.

%% ---- command line ----------------------------------------------------------

parse_term(Text) ->
    {ok, Tokens, _} = erl_scan:string(Text ++ "."),
    {ok, Term} = erl_parse:parse_term(Tokens),
    Term.

max_age_arg("infinity") -> infinity;
max_age_arg(Text) -> list_to_integer(Text).

require_crypto() ->
    case code:which(crypto) of
        non_existing ->
            io:format(standard_error, "Erlang's crypto application is missing "
                      "(Debian: apt-get install erlang-crypto)~n", []),
            halt(1);
        _ ->
            {ok, _} = application:ensure_all_started(crypto)
    end.

%% ---- interop checks against phx_token_tool ----------------------------------

-define(SECRET, "abcdefghabcdefghabcdefghabcdefghabcdefghabcdefghabcdefghabcdefgh").
-define(SALT, "user auth").
-define(SIGNED_AT, 1700000000000).
-define(VECTOR, <<"SFMyNTY.g2gDYXtuBgAAaOXPiwFiAAFRgA.ZgeXwCqNe0XHVt6GtuG22gpJXvnc7YgjgIACRLCnfOk">>).
-define(DAY_MS, 86400000).

interop(Tool) ->
    put(tool, Tool),
    put(passed, 0),
    put(failed, 0),
    lists:foreach(fun run_group/1, [fun vector/0, fun cpp_signs_erlang_verifies/0,
                                    fun erlang_signs_cpp_verifies/0, fun expiry_both_ways/0,
                                    fun refusals_both_ways/0]),
    Passed = get(passed),
    Failed = get(failed),
    io:format("token_interop: ~b passed, ~b failed~n", [Passed, Failed]),
    halt(case Failed of 0 -> 0; _ -> 1 end).

%% A group that crashes (say, the tool printed nothing) counts as one failure
%% and the others still run.
run_group(Group) ->
    try
        Group()
    catch
        Class:Reason:Stack ->
            check(io_lib:format("~p crashed", [Group]), {Class, Reason, hd(Stack)}, no_crash)
    end.

%% (1) The vector of tests/unit/token, computed here by OTP itself.
vector() ->
    check("vector: term_to_binary({123, 1700000000000, 86400})",
          hex(term_to_binary({123, ?SIGNED_AT, 86400})),
          <<"836803617b6e06000068e5cf8b016200015180">>),
    check("vector: the PBKDF2 key", hex(key(?SECRET, ?SALT)),
          <<"2accee82cd986fd3c15e55abf3db03db01e891a4bb9469389a7584fdda020199">>),
    check("vector: Erlang signs it",
          sign(?SECRET, ?SALT, 123, #{signed_at_ms => ?SIGNED_AT, max_age => 86400}), ?VECTOR),
    check("vector: C++ signs it",
          tool(["sign", ?SECRET, ?SALT, "123", integer_to_list(?SIGNED_AT), "86400"]), ?VECTOR),
    check("vector: Erlang verifies it",
          verify(?SECRET, ?SALT, ?VECTOR, #{now_ms => ?SIGNED_AT + 1000}), {ok, 123}),
    check("vector: C++ verifies it",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(?VECTOR), "-",
                integer_to_list(?SIGNED_AT + 1000)]), <<"ok 123">>).

%% (2) C++ signs JSON; Erlang verifies it and finds the term it would have
%% signed itself. With the same signed_at the two tokens are the same text
%% (OTP 26 atoms), and C++'s ETF is term_to_binary's, byte for byte.
cpp_signs_erlang_verifies() ->
    Cases = [{"\"hello\"", <<"hello">>},
             {"\"h\\u00e9llo \\u2603\"", <<"h", 16#c3, 16#a9, "llo ", 16#e2, 16#98, 16#83>>},
             {"\"\"", <<>>},
             {"42", 42},
             {"-7", -7},
             {"3000000000", 3000000000},
             {"12345678901234567", 12345678901234567},
             {"-9223372036854775808", -9223372036854775808},
             {"18446744073709551615", 18446744073709551615},
             {"1.5", 1.5},
             {"-0.001", -0.001},
             {"true", true},
             {"false", false},
             {"null", nil},
             {"[]", []},
             {"{}", #{}},
             {"[1,2,3]", [1, 2, 3]},
             {"[1,2,300]", [1, 2, 300]},
             {"[\"a\",[1,[2.5,[]]],null]", [<<"a">>, [1, [2.5, []]], nil]},
             {"{\"user\":{\"id\":42,\"roles\":[\"admin\",\"dev\"]},\"tags\":[1,2],\"ok\":true}",
              #{<<"user">> => #{<<"id">> => 42, <<"roles">> => [<<"admin">>, <<"dev">>]},
                <<"tags">> => [1, 2], <<"ok">> => true}}],
    lists:foreach(fun cpp_signs/1, Cases).

cpp_signs({Json, Term}) ->
    Name = "C++ signs " ++ Json,
    Token = tool(["sign", ?SECRET, ?SALT, Json]),
    check(Name ++ ", Erlang verifies", verify(?SECRET, ?SALT, Token, #{}), {ok, Term}),
    Fixed = tool(["sign", ?SECRET, ?SALT, Json, integer_to_list(?SIGNED_AT), "86400"]),
    check(Name ++ ", the same token as Erlang's", Fixed,
          sign(?SECRET, ?SALT, Term, #{signed_at_ms => ?SIGNED_AT, minor_version => 2})),
    check(Name ++ ", term_to_binary's bytes", tool(["etf", Json]),
          hex(term_to_binary(Term, [{minor_version, 2}]))).

%% (3) Erlang signs terms (OTP 25's default encoding, ATOM_EXT atoms); C++
%% verifies and gives the JSON.
erlang_signs_cpp_verifies() ->
    Cases = [{#{<<"id">> => 42, <<"name">> => <<"Ada">>}, "{\"id\":42,\"name\":\"Ada\"}"},
             {[1, 2, 3], "[1,2,3]"},
             {"hello", "[104,101,108,108,111]"},
             {[<<"a">>, [1, 2.5], #{}], "[\"a\",[1,2.5],{}]"},
             {123456789012345678, "123456789012345678"},
             {-123456789012345678, "-123456789012345678"},
             {-5, "-5"},
             {255, "255"},
             {18446744073709551615, "18446744073709551615"},
             {1.0e10, "10000000000.0"},
             {<<"h", 16#c3, 16#a9, "llo">>, "\"h\xc3\xa9llo\""},
             {true, "true"},
             {nil, "null"},
             {#{<<"a">> => nil, <<"b">> => [true, false], <<"c">> => #{<<"d">> => [[[]]]}},
              "{\"a\":null,\"b\":[true,false],\"c\":{\"d\":[[[]]]}}"}],
    lists:foreach(fun erlang_signs/1, Cases).

erlang_signs({Term, Json}) ->
    Name = lists:flatten(io_lib:format("Erlang signs ~w", [Term])),
    check(Name ++ ", C++ verifies",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(sign(?SECRET, ?SALT, Term, #{}))]),
          iolist_to_binary(["ok ", Json])),
    check(Name ++ " (OTP 26 atoms), C++ verifies",
          tool(["verify", ?SECRET, ?SALT,
                binary_to_list(sign(?SECRET, ?SALT, Term, #{minor_version => 2}))]),
          iolist_to_binary(["ok ", Json])).

%% (4) Expired one way is expired the other; max age overrides, infinity and
%% the legacy payloads agree too.
expiry_both_ways() ->
    Now = os:system_time(millisecond),
    TwoDaysAgo = Now - 2 * ?DAY_MS,
    Old = sign(?SECRET, ?SALT, <<"old">>, #{signed_at_ms => TwoDaysAgo}),
    check("Erlang token 2 days old, C++ says expired",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(Old)]), <<"error expired">>),
    check("... and Erlang agrees", verify(?SECRET, ?SALT, Old, #{}), {error, expired}),
    check("Erlang token 2 days old, C++ verify with max_age 3 days",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(Old), "259200"]), <<"ok \"old\"">>),
    Short = sign(?SECRET, ?SALT, 1, #{signed_at_ms => Now - 5000, max_age => 1}),
    check("Erlang token with max_age 1 s, 5 s old, C++ says expired",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(Short)]), <<"error expired">>),
    Forever = sign(?SECRET, ?SALT, 1, #{signed_at_ms => Now - 3650 * ?DAY_MS, max_age => infinity}),
    check("Erlang token with max_age infinity, 10 years old, C++ verifies",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(Forever)]), <<"ok 1">>),
    CppOld = tool(["sign", ?SECRET, ?SALT, "\"old\"", integer_to_list(TwoDaysAgo)]),
    check("C++ token 2 days old, Erlang says expired",
          verify(?SECRET, ?SALT, CppOld, #{}), {error, expired}),
    check("C++ token 2 days old, Erlang verify with max_age 3 days",
          verify(?SECRET, ?SALT, CppOld, #{max_age => 259200}), {ok, <<"old">>}),
    CppZero = tool(["sign", ?SECRET, ?SALT, "1", integer_to_list(Now), "0"]),
    check("C++ token with max_age 0, Erlang says expired",
          verify(?SECRET, ?SALT, CppZero, #{}), {error, expired}),
    CppForever = tool(["sign", ?SECRET, ?SALT, "1", integer_to_list(Now - 3650 * ?DAY_MS),
                       "infinity"]),
    check("C++ token with max_age infinity, 10 years old, Erlang verifies",
          verify(?SECRET, ?SALT, CppForever, #{}), {ok, 1}),
    CppFuture = tool(["sign", ?SECRET, ?SALT, "1", integer_to_list(Now + ?DAY_MS), "60"]),
    check("C++ token signed a day ahead, Erlang (Plug.Crypto 2.1) accepts",
          verify(?SECRET, ?SALT, CppFuture, #{}), {ok, 1}),
    Key = key(?SECRET, ?SALT),
    Pair = message_sign(term_to_binary({<<"legacy">>, Now - 1000}), Key),
    check("legacy {data, signed_at} from Erlang, C++ verifies",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(Pair)]), <<"ok \"legacy\"">>),
    Map = message_sign(term_to_binary(#{data => 7, signed => Now - 2 * ?DAY_MS}), Key),
    check("legacy %{data:, signed:} 2 days old from Erlang, C++ says expired",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(Map)]), <<"error expired">>).

%% Invalid and missing tokens, and terms that are not JSON: both refuse.
refusals_both_ways() ->
    Token = sign(?SECRET, ?SALT, 1, #{}),
    check("Erlang token, C++ with another salt: invalid",
          tool(["verify", ?SECRET, "other salt", binary_to_list(Token)]), <<"error invalid">>),
    CppToken = tool(["sign", ?SECRET, ?SALT, "1"]),
    check("C++ token, Erlang with another secret: invalid",
          verify(?SECRET ++ "x", ?SALT, CppToken, #{}), {error, invalid}),
    Tampered = tamper(CppToken),
    check("C++ token with its MAC changed, Erlang: invalid",
          verify(?SECRET, ?SALT, Tampered, #{}), {error, invalid}),
    check("Erlang token with its MAC changed, C++: invalid",
          tool(["verify", ?SECRET, ?SALT, binary_to_list(tamper(Token))]), <<"error invalid">>),
    check("no token: C++ says missing", tool(["verify", ?SECRET, ?SALT, "--null"]),
          <<"error missing">>),
    check("no token: Erlang says missing", verify(?SECRET, ?SALT, nil, #{}), {error, missing}),
    lists:foreach(
      fun({What, Term}) ->
              check("Erlang signs " ++ What ++ ", C++ (JSON only) says invalid",
                    tool(["verify", ?SECRET, ?SALT, binary_to_list(sign(?SECRET, ?SALT, Term, #{}))]),
                    <<"error invalid">>)
      end,
      [{"a tuple", {1, 2}}, {"the atom ok", ok}, {"the bytes <<255>>", <<255>>},
       {"an improper list", [1 | 2]}, {"a map with an integer key", #{1 => 2}},
       {"2^64", 18446744073709551616}]).

%% Changes the MAC's first character: all six of its bits are MAC bits (the
%% last character's lowest ones are padding, which Base.url_decode64 ignores).
tamper(Token) ->
    [Header, Payload, <<First, Rest/binary>>] = binary:split(Token, <<".">>, [global]),
    New = case First of $A -> $B; _ -> $A end,
    <<Header/binary, ".", Payload/binary, ".", New, Rest/binary>>.

%% ---- helpers ----------------------------------------------------------------

check(Name, Got, Want) when Got =:= Want ->
    put(passed, get(passed) + 1),
    io:format("ok   ~ts~n", [Name]);
check(Name, Got, Want) ->
    put(failed, get(failed) + 1),
    io:format("FAIL ~ts~n     got:  ~p~n     want: ~p~n", [Name, Got, Want]).

%% Asks phx_token_tool, running in batch mode (one process for the whole
%% run), to do what its command line `Args` would; returns its answer line.
tool(Args) ->
    Port = tool_port(),
    port_command(Port, [lists:join("\t", Args), "\n"]),
    receive
        {Port, {data, {eol, Line}}} -> Line;
        {Port, {exit_status, Status}} -> {tool_exited, Status}
    after 10000 ->
        {tool_timeout, Args}
    end.

tool_port() ->
    case get(tool_port) of
        undefined ->
            Port = open_port({spawn_executable, get(tool)},
                             [{args, ["batch"]}, {line, 1 bsl 20}, binary, use_stdio,
                              exit_status]),
            put(tool_port, Port),
            Port;
        Port ->
            Port
    end.

hex(Bin) ->
    << <<(hex_digit(N))>> || <<N:4>> <= Bin >>.

hex_digit(N) when N < 10 -> $0 + N;
hex_digit(N) -> $a + N - 10.
